enum _GalleyServerPlaceholder {}
