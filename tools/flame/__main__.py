from tools.flame.cli import main

raise SystemExit(main())
