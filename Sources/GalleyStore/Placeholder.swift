enum _GalleyStorePlaceholder {}
