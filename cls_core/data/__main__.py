from cls_core.data.fetch import main

main()
