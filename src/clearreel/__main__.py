from clearreel.cli import main

main()
