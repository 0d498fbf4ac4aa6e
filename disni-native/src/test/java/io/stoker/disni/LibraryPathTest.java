package io.stoker.disni;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How libdisni is found, in child JVMs whose java.library.path this test chooses. */
class LibraryPathTest {

    @Test
    void missingLibraryIsReportedNotThrown() throws Exception {
        String out = runChild("/nonexistent-dir", "probe");
        assertTrue(out.contains("load=false"), out);
        assertTrue(out.contains("reason=libdisni not on java.library.path (/nonexistent-dir)"), out);
    }

    /**
     * Why DisniLibrary does not extract libdisni from a jar and System.load it: DiSNI's own
     * System.loadLibrary("disni") still searches java.library.path and fails.
     */
    @Test
    void preloadingByPathDoesNotSatisfyDisnisLoadLibrary() throws Exception {
        NativeLibrarySupport.assumeLibraryBuilt();
        String out = runChild("/nonexistent-dir", "preload", NativeLibrarySupport.library().toString());
        assertTrue(out.contains("preloaded "), out);
        assertTrue(out.contains("disni=java.lang.UnsatisfiedLinkError: no disni in java.library.path"), out);
        // and DiSNI is unusable for the rest of that JVM's life
        assertTrue(out.contains("again=java.lang.NoClassDefFoundError: Could not initialize class"
                + " com.ibm.disni.verbs.impl.NativeDispatcher"), out);
    }

    @Test
    void foundOnJavaLibraryPath() throws Exception {
        NativeLibrarySupport.assumeLibraryBuilt();
        String out = runChild(NativeLibrarySupport.nativeDir().toString(), "probe");
        // loaded; on this machine either usable or "no RDMA device (...)"
        assertTrue(out.contains("load=true") || out.contains("reason=no RDMA device (")
                || out.contains("reason=RDMA device"), out);
    }

    private static String runChild(String libraryPath, String... args) throws IOException, InterruptedException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-exports");
        command.add("java.base/sun.nio.ch=ALL-UNNAMED");
        command.add("-Djava.library.path=" + libraryPath);
        command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        command.add("-cp");
        command.add(classpath);
        command.add(ChildProbe.class.getName());
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, child.exitValue(), out);
        return out;
    }
}
