from actionplane.cli import main

main()
