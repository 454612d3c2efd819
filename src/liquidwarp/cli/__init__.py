"""Command-line interface (thin: parse, build a config, call the library). The program's entry
point, which adds the commands of the layers above (the web page's ``serve``), is
``liquidwarp/__main__.py``."""
