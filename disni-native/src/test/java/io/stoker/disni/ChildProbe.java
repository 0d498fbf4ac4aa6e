package io.stoker.disni;

import com.ibm.disni.verbs.RdmaProvider;

/**
 * Run in a child JVM by {@link LibraryPathTest}: "probe" prints what DisniLibrary reports;
 * "preload FILE" loads libdisni by absolute path first, then lets DiSNI load it by name.
 */
public final class ChildProbe {
    private ChildProbe() {
    }

    public static void main(String[] args) {
        if (args[0].equals("probe")) {
            System.out.println("load=" + DisniLibrary.load());
            System.out.println("reason=" + DisniLibrary.unavailableReason());
            return;
        }
        System.load(args[1]); // e.g. extracted from a jar to a temporary file
        System.out.println("preloaded " + args[1]);
        for (String attempt : new String[] {"disni", "again"}) {
            try {
                RdmaProvider.provider(); // NativeDispatcher.<clinit>: System.loadLibrary("disni")
                System.out.println(attempt + "=loaded");
            } catch (Throwable t) {
                System.out.println(attempt + "=" + t);
            }
        }
    }
}
