enum _GalleyClientPlaceholder {}
