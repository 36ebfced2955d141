from riskgrade.cli import main

main()
