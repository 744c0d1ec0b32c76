from tools.asv_local.cli import main

raise SystemExit(main())
