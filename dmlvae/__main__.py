import sys

from dmlvae.cli import main

sys.exit(main())
