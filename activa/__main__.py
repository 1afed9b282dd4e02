from activa.cli import main

raise SystemExit(main())
