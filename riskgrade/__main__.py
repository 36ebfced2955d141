"""``python -m riskgrade``: the same command line as the ``riskgrade`` script."""

from riskgrade.cli import main

main()
