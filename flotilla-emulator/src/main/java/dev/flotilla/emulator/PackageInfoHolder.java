package dev.flotilla.emulator;

/** Placeholder so the module compiles before its first class lands. */
final class PackageInfoHolder {
    private PackageInfoHolder() {}
}
