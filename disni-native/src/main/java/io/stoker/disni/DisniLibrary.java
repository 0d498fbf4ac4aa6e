package io.stoker.disni;

import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.RdmaProvider;
import com.ibm.disni.verbs.impl.NativeDispatcher;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

/**
 * Says whether DiSNI's verbs can be used in this JVM, and if not, why - without ever letting DiSNI's
 * own static initialiser fail.
 *
 * <p>DiSNI 2.1 loads its JNI library in the static initialisers of {@code NativeDispatcher} and
 * {@code NativeAffinity} with {@code System.loadLibrary("disni")}. In JDK 17 that call looks only at
 * the calling class loader's {@code findLibrary} (the application class loader has none) and then at
 * {@code sun.boot.library.path} and {@code java.library.path} as they were when the JVM started
 * ({@code NativeLibraries.LibraryPaths} reads them once; setting the property later changes nothing).
 * A library already loaded from another path with {@code System.load} does not satisfy it: the loaded
 * set is keyed by the absolute path, not by name. So a Java class cannot preload {@code libdisni.so}
 * from a jar or temporary file "for" DiSNI; and if DiSNI's {@code loadLibrary} fails, the class is
 * unusable for the life of the JVM ({@code ExceptionInInitializerError}, then
 * {@code NoClassDefFoundError}). Hence this class: it loads the library itself from
 * {@code java.library.path} (the same search DiSNI will do, in the same class loader) and only touches
 * DiSNI once that worked.
 *
 * <p>{@code libdisni.so} is Stoker's own build ({@code disni-native/target/native}); a user's
 * {@code libdisni} on {@code java.library.path} works too (the device probe then reads
 * {@code /sys/class/infiniband}).
 */
public final class DisniLibrary {
    /** The name DiSNI passes to {@code System.loadLibrary}. */
    public static final String LIBRARY_NAME = "disni";
    /** The JNI version DiSNI 2.1's NativeDispatcher requires from {@code _getVersion()}. */
    public static final int DISNI_JNI_VERSION = 32;

    private static State state;

    private DisniLibrary() {
    }

    /**
     * Loads libdisni (once) and checks that DiSNI accepts it, that an RDMA device is present and that
     * rdma_cm works.
     *
     * @return whether DiSNI's verbs are usable; if not, {@link #unavailableReason()} says why
     */
    public static boolean load() {
        return state().usable;
    }

    /** One line naming what is missing, or {@code null} when {@link #load()} returns true. */
    public static String unavailableReason() {
        State s = state();
        return s.usable ? null : s.reason;
    }

    /** Whether libdisni itself loaded and DiSNI accepted it (true even when there is no device). */
    public static boolean libraryLoaded() {
        return state().libraryLoaded;
    }

    /** The libdisni file found on the library path, or {@code null}. */
    public static Path libraryFile() {
        return state().file;
    }

    /** RDMA devices seen (e.g. {@code [rxe0]}); empty when none or when the library did not load. */
    public static List<String> devices() {
        return state().devices;
    }

    /** One line for logs: what was loaded and which devices, or why not. */
    public static String describe() {
        State s = state();
        if (!s.usable) {
            return "DiSNI unavailable: " + s.reason;
        }
        return "DiSNI verbs usable: " + s.file + " (JNI version " + DISNI_JNI_VERSION + "), devices " + s.devices;
    }

    private static synchronized State state() {
        if (state == null) {
            state = probe();
        }
        return state;
    }

    private static State probe() {
        Path file = findOnLibraryPath();
        // 1. load the library from this class, so that a failure never reaches DiSNI's static initialiser
        if (DisniLibrary.class.getClassLoader() == NativeDispatcher.class.getClassLoader()) { // no class init
            try {
                System.loadLibrary(LIBRARY_NAME);
            } catch (UnsatisfiedLinkError e) {
                return State.failed(file, file == null
                        ? "libdisni not on java.library.path (" + System.getProperty("java.library.path")
                        + "): build it with ./mvnw -pl disni-native compile (needs the Debian packages"
                        + " libibverbs-dev and librdmacm-dev) and add"
                        + " -Djava.library.path=<checkout>/disni-native/target/native"
                        : "libdisni at " + file + " could not be loaded: " + e.getMessage()
                        + " (it needs libibverbs.so.1 and librdmacm.so.1: Debian packages libibverbs1 librdmacm1)");
            }
        }
        // 2. let DiSNI load and check it: version and struct layout (NativeDispatcher's constructor)
        try {
            RdmaProvider.provider();
        } catch (IOException e) {
            return State.failed(file, "libdisni at " + file + " is not compatible with DiSNI 2.1: " + e.getMessage());
        } catch (LinkageError e) {
            return State.failed(file, "DiSNI could not load libdisni: " + e);
        }
        // 3. devices
        List<String> devices;
        try {
            devices = deviceNames();
        } catch (IOException e) {
            return State.noDevice(file, "no RDMA device (ibv_get_device_list returned none: " + e.getMessage() + ")");
        }
        if (devices.isEmpty()) {
            return State.noDevice(file, "no RDMA device (ibv_get_device_list returned none)");
        }
        // 4. rdma_cm (DiSNI connects through it)
        try {
            RdmaEventChannel channel = RdmaEventChannel.createEventChannel();
            if (channel == null) {
                return State.noDevice(file, "RDMA device " + devices + " present but rdma_cm is unavailable"
                        + " (rdma_create_event_channel failed: is the rdma_ucm module loaded"
                        + " and /dev/infiniband/rdma_cm accessible?)");
            }
            channel.destroyEventChannel();
        } catch (IOException e) {
            return State.noDevice(file, "RDMA device " + devices + " present but rdma_cm failed: " + e.getMessage());
        }
        return new State(true, true, file, devices, null);
    }

    private static List<String> deviceNames() throws IOException {
        String names;
        try {
            names = ibvDeviceNames();
        } catch (UnsatisfiedLinkError notStokersLibrary) {
            return sysfsDevices();
        }
        if (names.isEmpty()) {
            return Collections.emptyList();
        }
        return Collections.unmodifiableList(Arrays.asList(names.split(",")));
    }

    /** What libibverbs reads too; used with a libdisni that lacks {@link #ibvDeviceNames()}. */
    private static List<String> sysfsDevices() {
        Path dir = Paths.get("/sys/class/infiniband");
        if (!Files.isDirectory(dir)) {
            return Collections.emptyList();
        }
        List<String> names = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            entries.map(p -> p.getFileName().toString()).sorted().forEach(names::add);
        } catch (IOException e) {
            return Collections.emptyList();
        }
        return Collections.unmodifiableList(names);
    }

    /** The file {@code System.loadLibrary("disni")} would take from the JVM's library paths, or null. */
    static Path findOnLibraryPath() {
        String fileName = System.mapLibraryName(LIBRARY_NAME);
        for (String property : new String[] {"sun.boot.library.path", "java.library.path"}) {
            String paths = System.getProperty(property, "");
            for (String dir : paths.split(File.pathSeparator, -1)) {
                Path candidate = Paths.get(dir.isEmpty() ? "." : dir).resolve(fileName);
                if (Files.isRegularFile(candidate)) {
                    return candidate.toAbsolutePath();
                }
            }
        }
        return null;
    }

    /** Stoker's libdisni only: {@code ibv_get_device_list()}'s device names, comma-separated. */
    private static native String ibvDeviceNames() throws IOException;

    private static final class State {
        final boolean usable;
        final boolean libraryLoaded;
        final Path file;
        final List<String> devices;
        final String reason;

        State(boolean usable, boolean libraryLoaded, Path file, List<String> devices, String reason) {
            this.usable = usable;
            this.libraryLoaded = libraryLoaded;
            this.file = file;
            this.devices = devices;
            this.reason = reason;
        }

        static State failed(Path file, String reason) {
            return new State(false, false, file, Collections.emptyList(), reason);
        }

        static State noDevice(Path file, String reason) {
            return new State(false, true, file, Collections.emptyList(), reason);
        }
    }
}
