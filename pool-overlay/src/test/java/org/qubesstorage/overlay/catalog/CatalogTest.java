package org.qubesstorage.overlay.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qubesstorage.overlay.cow.CowGeometry;
import org.qubesstorage.overlay.cow.CowStore;
import org.qubesstorage.spi.ErrorCode;
import org.qubesstorage.spi.StorageException;

@DisplayName("The overlay pool's catalog of revisions, parents and pins")
class CatalogTest {
    private static final long SIZE = 1 << 20;
    private static final String TPL = "vm-templates/debian/root";
    private static final String BRANCH = "vm-templates/debian-net/root";
    private static final String TWIG = "vm-templates/debian-net-usb/root";

    @TempDir
    Path pool;

    private VolumeDir dir(String vid) throws Exception {
        return new VolumeDir(Files.createDirectories(pool.resolve(vid)));
    }

    private void base(String vid, int n) throws Exception {
        VolumeDir d = dir(vid);
        Path tmp = d.temporary("import");
        Files.write(tmp, new byte[4096]);
        d.commitBase(n, tmp);
    }

    private void layer(String vid, int n, RevisionRef parent) throws Exception {
        VolumeDir d = dir(vid);
        Path tmp = d.temporary("commit");
        CowStore.create(tmp, CowGeometry.DEFAULT, SIZE).close();
        d.commitLayer(n, tmp, parent);
    }

    /** debian r1 (base) and r2 (its own update, a layer over r1); debian-net r1 over debian@1; debian-net-usb r1 over debian-net@1. */
    private Catalog chainOfThree() throws Exception {
        base(TPL, 1);
        layer(BRANCH, 1, new RevisionRef(TPL, 1));
        layer(TWIG, 1, new RevisionRef(BRANCH, 1));
        layer(TPL, 2, new RevisionRef(TPL, 1));
        return Catalog.scan(pool);
    }

    @Test
    @DisplayName("a chain resolves from its top revision down to a base; each level is the revision it holds")
    void chains() throws Exception {
        Catalog c = chainOfThree();
        assertThat(c.vids()).containsExactlyInAnyOrder(TPL, BRANCH, TWIG);
        Catalog.Chain twig = c.chain(new RevisionRef(TWIG, 1));
        assertThat(twig.base()).isEqualTo(pool.resolve(TPL).resolve("r1.img"));
        assertThat(twig.layers()).extracting(Catalog.Chain.Level::ref)
                .containsExactly(new RevisionRef(BRANCH, 1), new RevisionRef(TWIG, 1));
        assertThat(c.chain(new RevisionRef(TPL, 2)).layers()).extracting(Catalog.Chain.Level::ref).containsExactly(new RevisionRef(TPL, 2));
        assertThat(c.chain(new RevisionRef(TPL, 1)).layers()).isEmpty();
    }

    @Test
    @DisplayName("a branch whose parent committed since is behind; one on its parent's current revision, or on itself, is not")
    void behind() throws Exception {
        Catalog c = chainOfThree();
        assertThat(c.behind(BRANCH)).isTrue();
        assertThat(c.behind(TWIG)).isFalse();
        assertThat(c.behind(TPL)).isFalse();
    }

    @Test
    @DisplayName("a revision something sits on is pinned: never prunable, and its dependents are named")
    void pins() throws Exception {
        Catalog c = chainOfThree();
        RevisionRef old = new RevisionRef(TPL, 1);
        assertThat(c.dependents(old, Set.of())).containsExactlyInAnyOrder(new RevisionRef(BRANCH, 1), new RevisionRef(TPL, 2));
        assertThat(c.prunable(TPL, 0, Set.of())).isEmpty();
        layer(BRANCH, 2, new RevisionRef(TPL, 2));
        layer(BRANCH, 3, new RevisionRef(TPL, 2));
        c = Catalog.scan(pool);
        assertThat(c.prunable(BRANCH, 0, Set.of())).as("branch@1 is the twig's parent").containsExactly(2);
        assertThat(c.prunable(BRANCH, 1, Set.of())).isEmpty();
        assertThat(c.pinned(new RevisionRef(BRANCH, 2), Set.of(new RevisionRef(BRANCH, 2)))).as("a running chain pins").isTrue();
        assertThat(c.prunable(BRANCH, 0, Set.of(new RevisionRef(BRANCH, 2)))).isEmpty();
    }

    @Test
    @DisplayName("a revert commits an old revision again by hard links; removing a revision takes its commit point first")
    void revertAndRemove() throws Exception {
        chainOfThree();
        VolumeDir branch = new VolumeDir(pool.resolve(BRANCH));
        layer(BRANCH, 2, new RevisionRef(TPL, 2));
        branch.commitCopyOf(1, 3);
        Catalog c = Catalog.scan(pool);
        assertThat(c.current(BRANCH).orElseThrow().parent()).contains(new RevisionRef(TPL, 1));
        assertThat(Files.isSameFile(branch.store(1), branch.store(3))).isTrue();
        assertThatThrownBy(() -> branch.commitCopyOf(1, 3)).isInstanceOf(StorageException.class)
                .extracting(e -> ((StorageException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
        branch.remove(2);
        assertThat(Catalog.scan(pool).revisions(BRANCH)).extracting(StoredRevision::number).containsExactly(1, 3);
    }

    @Test
    @DisplayName("what a crash leaves (a store without its parent file, a temporary file) is incomplete, not a revision")
    void incomplete() throws Exception {
        base(TPL, 1);
        VolumeDir d = dir(BRANCH);
        CowStore.create(d.store(1), CowGeometry.DEFAULT, SIZE).close();
        Files.writeString(d.temporary("r2.parent"), "vid=x\n");
        assertThat(Catalog.scan(pool).revisions(BRANCH)).isEmpty();
        assertThat(d.incomplete()).containsExactlyInAnyOrder(d.store(1), d.temporary("r2.parent"));
    }

    @Test
    @DisplayName("a damaged pool is refused with the reason: a missing parent, a loop of parents, a garbled parent file")
    void damaged() throws Exception {
        layer(BRANCH, 1, new RevisionRef(TPL, 7));
        assertThatThrownBy(() -> Catalog.scan(pool).chain(new RevisionRef(BRANCH, 1))).isInstanceOf(StorageException.class)
                .hasMessageContaining(TPL + "@7, which " + BRANCH + "@1 sits on, does not exist");
        layer(TPL, 7, new RevisionRef(BRANCH, 1));
        assertThatThrownBy(() -> Catalog.scan(pool).chain(new RevisionRef(BRANCH, 1))).isInstanceOf(StorageException.class)
                .hasMessageContaining("form a loop");
        Files.writeString(new VolumeDir(pool.resolve(TPL)).parentFile(7), "nonsense\n");
        assertThatThrownBy(() -> Catalog.scan(pool)).isInstanceOf(StorageException.class).hasMessageContaining("Damaged parent file");
    }
}
