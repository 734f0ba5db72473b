"""`python -m shared.contract --export-schema [PATH]`: see shared.contract.schema."""

from shared.contract.schema import main

raise SystemExit(main())
