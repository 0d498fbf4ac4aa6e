package io.stoker.disni;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where the build put libdisni.so, and the assumption that it did. */
final class NativeLibrarySupport {
    private NativeLibrarySupport() {
    }

    static Path nativeDir() {
        return Paths.get(System.getProperty("disni.native.dir", "target/native")).toAbsolutePath();
    }

    static Path library() {
        return nativeDir().resolve(System.mapLibraryName(DisniLibrary.LIBRARY_NAME));
    }

    /** Skips the calling test, naming what is missing, where the build could not make libdisni.so. */
    static void assumeLibraryBuilt() {
        Path skipped = nativeDir().resolve("SKIPPED");
        String why = "libdisni.so was not built (" + library() + " missing)";
        if (Files.isRegularFile(skipped)) {
            try {
                why = Files.readString(skipped, StandardCharsets.UTF_8).trim();
            } catch (IOException ignored) {
                // keep the generic reason
            }
        }
        Assumptions.assumeTrue(Files.isRegularFile(library()), why);
    }

    /** Whether this machine has an RDMA device (what libibverbs reads). */
    static boolean machineHasRdmaDevice() {
        Path dir = Paths.get("/sys/class/infiniband");
        try (var entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            return false;
        }
    }
}
