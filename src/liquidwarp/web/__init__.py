"""The local web page (``liquidwarp serve``)."""
