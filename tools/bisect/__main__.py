import sys

from tools.bisect.cli import main

sys.exit(main())
