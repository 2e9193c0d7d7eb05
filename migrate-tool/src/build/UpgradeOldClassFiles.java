import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Build step (run by migrate-tool's pom with the JDK 25 toolchain, as a single-file program):
 * gives every class-path jar whose classes predate Java 6 (class file version below 50) a copy
 * whose classes are version 52 with stack maps, and writes the class path the launcher uses.
 *
 * <p>Why: the JVM's AOT cache (and CDS before it) cannot hold classes older than version 50, so
 * such a jar is parsed, and checked by the old type-inferring verifier, on every start. picocli
 * is compiled for Java 5: its 228 classes were the only application classes the launcher's AOT
 * cache left out, and in the project's test VM (TCG) loading them cost seconds of each run.
 *
 * <p>Only the class-file version and the stack maps change; the bytecode is re-emitted as it is
 * (pre-Java-6 javac output has no {@code jsr}/{@code ret}, which version 51 and later forbid; the
 * program fails rather than write a jar with one). Signed jars are left alone, since rewriting would break
 * their signature. Tests and {@code mvn} runs keep the original jars; only the launchers use the copies.
 *
 * <pre>usage: java UpgradeOldClassFiles.java CLASSPATH_FILE OUT_DIR OUT_CLASSPATH_FILE</pre>
 */
public final class UpgradeOldClassFiles {
    private static final int FIRST_VERSION_WITH_STACK_MAPS = 50;
    private static final int TARGET_VERSION = 52;

    private UpgradeOldClassFiles() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: java UpgradeOldClassFiles.java CLASSPATH_FILE OUT_DIR OUT_CLASSPATH_FILE");
            System.exit(2);
        }
        String classPath = Files.readString(Path.of(args[0])).strip();
        Path outDir = Files.createDirectories(Path.of(args[1]));
        List<Path> jars = new ArrayList<>();
        for (String entry : classPath.split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty()) {
                jars.add(Path.of(entry));
            }
        }
        List<String> result = new ArrayList<>();
        for (Path jar : jars) {
            Path copy = outDir.resolve(jar.getFileName());
            if (needsUpgrade(jar)) {
                if (!Files.exists(copy) || Files.getLastModifiedTime(copy).compareTo(Files.getLastModifiedTime(jar)) < 0) {
                    int n = upgrade(jar, copy, jars);
                    System.out.println("UpgradeOldClassFiles: " + jar.getFileName() + ": " + n + " classes now version " + TARGET_VERSION);
                }
                result.add(copy.toAbsolutePath().toString());
            } else {
                result.add(jar.toString());
            }
        }
        Path out = Path.of(args[2]);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.writeString(tmp, String.join(java.io.File.pathSeparator, result));
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Whether {@code jar} is unsigned and holds at least one class file older than version 50. */
    static boolean needsUpgrade(Path jar) throws IOException {
        if (!jar.toString().endsWith(".jar") || !Files.isRegularFile(jar)) {
            return false; // a classes directory: built by this project, never that old
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            boolean old = false;
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                String name = e.getName().toUpperCase(java.util.Locale.ROOT);
                if (name.startsWith("META-INF/") && (name.endsWith(".SF") || name.endsWith(".RSA") || name.endsWith(".DSA") || name.endsWith(".EC"))) {
                    return false;
                }
                if (!old && isClass(e)) {
                    try (var in = zip.getInputStream(e)) {
                        byte[] head = in.readNBytes(8);
                        old = head.length == 8 && ((head[6] & 0xff) << 8 | (head[7] & 0xff)) < FIRST_VERSION_WITH_STACK_MAPS;
                    }
                }
            }
            return old;
        }
    }

    /** Writes {@code jar} to {@code copy} with its old classes upgraded; returns how many were. */
    static int upgrade(Path jar, Path copy, List<Path> classPath) throws IOException {
        URL[] urls = new URL[classPath.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = classPath.get(i).toUri().toURL();
        }
        int upgraded = 0;
        Path tmp = copy.resolveSibling(copy.getFileName() + ".tmp");
        // Stack maps need the class hierarchy of every type the code merges: the JDK's own, then the class path's.
        try (URLClassLoader loader = new URLClassLoader(urls, null);
                ZipFile zip = new ZipFile(jar.toFile());
                ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
            ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                            .orElse(ClassHierarchyResolver.ofClassLoading(loader))));
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                byte[] bytes;
                try (var in = zip.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                if (isClass(e)) {
                    ClassModel model = cf.parse(bytes);
                    if (model.majorVersion() < FIRST_VERSION_WITH_STACK_MAPS) {
                        // re-emitting every method body is what makes the library generate the stack maps
                        bytes = cf.transformClass(model, ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                                .andThen(ClassTransform.endHandler(b -> b.withVersion(TARGET_VERSION, 0))));
                        upgraded++;
                    }
                }
                ZipEntry copied = new ZipEntry(e.getName());
                copied.setTime(e.getTime());
                out.putNextEntry(copied);
                out.write(bytes);
                out.closeEntry();
            }
        } catch (IllegalArgumentException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("Cannot upgrade " + jar + ": " + e.getMessage(), e);
        }
        Files.move(tmp, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return upgraded;
    }

    private static boolean isClass(ZipEntry e) {
        return !e.isDirectory() && e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")
                && !e.getName().startsWith("META-INF/versions/");
    }
}
