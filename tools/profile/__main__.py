from tools.profile.cli import main

raise SystemExit(main())
