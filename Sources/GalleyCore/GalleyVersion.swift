/// The version of Galley's programs (`galley --version`, `galley-server --version`).
public enum GalleyVersion {
    public static let string = "0.12.0"
}
