package org.qubesstorage.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The build step behind the launchers' class path (src/build/UpgradeOldClassFiles.java), run as the build runs it. */
@DisplayName("UpgradeOldClassFiles (build step)")
class UpgradeOldClassFilesTest {
    private static final Path PROGRAM = Path.of(System.getProperty("user.dir"), "src/build/UpgradeOldClassFiles.java");

    @TempDir
    Path dir;

    @Test
    @DisplayName("rewrites a Java 5 class to version 52 with stack maps; it verifies and behaves the same; other jars are kept")
    void upgradesOldClasses() throws Exception {
        Path old = jar("old.jar", "demo/Sum", 49);
        Path current = jar("current.jar", "demo/Other", 52);
        Path cp = Files.writeString(dir.resolve("cp.txt"), old + ":" + current + "\n");
        Path outDir = dir.resolve("lib");
        Path outCp = dir.resolve("launch-cp.txt");

        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), PROGRAM.toString(),
                cp.toString(), outDir.toString(), outCp.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();

        Path upgraded = outDir.resolve("old.jar");
        assertThat(Files.readString(outCp)).isEqualTo(upgraded.toAbsolutePath() + ":" + current);
        assertThat(majorVersion(upgraded, "demo/Sum.class")).isEqualTo(52);
        assertThat(majorVersion(old, "demo/Sum.class")).isEqualTo(49); // the original is never touched
        // a loader other than the boot loader verifies what it links: a missing or wrong stack map would throw VerifyError
        try (URLClassLoader loader = new URLClassLoader(new URL[] {upgraded.toUri().toURL()}, null)) {
            Object sum = loader.loadClass("demo.Sum").getMethod("sumBelow", int.class).invoke(null, 10);
            assertThat(sum).isEqualTo(45);
        }
        assertThat(log).contains("old.jar: 1 classes now version 52");
    }

    /** A jar with one class {@code name} of class-file version {@code major}: {@code static int sumBelow(int n)}, a loop. */
    private Path jar(String file, String name, int major) throws Exception {
        ClassDesc self = ClassDesc.ofInternalName(name);
        // stack maps cannot be written into a class older than version 50; the old class gets none
        ClassFile cf = ClassFile.of(major < 50 ? ClassFile.StackMapsOption.DROP_STACK_MAPS : ClassFile.StackMapsOption.GENERATE_STACK_MAPS);
        byte[] bytes = cf.build(self, cb -> cb.withVersion(major, 0).withFlags(ClassFile.ACC_PUBLIC | ClassFile.ACC_SUPER)
                .withMethodBody("sumBelow", MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_int),
                        ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                            var loop = code.newLabel();
                            var end = code.newLabel();
                            code.iconst_0().istore(1).iconst_0().istore(2); // sum, i
                            code.labelBinding(loop);
                            code.iload(2).iload(0).if_icmpge(end);
                            code.iload(1).iload(2).iadd().istore(1);
                            code.iinc(2, 1).goto_(loop);
                            code.labelBinding(end);
                            code.iload(1).ireturn();
                        }));
        Path jar = dir.resolve(file);
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new ZipEntry(name + ".class"));
            out.write(bytes);
            out.closeEntry();
        }
        return jar;
    }

    private static int majorVersion(Path jar, String entry) throws Exception {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            byte[] head = zip.getInputStream(zip.getEntry(entry)).readNBytes(8);
            return (head[6] & 0xff) << 8 | (head[7] & 0xff);
        }
    }
}
