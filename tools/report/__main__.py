from tools.report.cli import main

raise SystemExit(main())
