"""Regenerate docs/model.md from the registry of constraint families (``--check``: only say if it is current)."""

from estate_opt.model.families import main

if __name__ == "__main__":
    raise SystemExit(main())
