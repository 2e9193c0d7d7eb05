package org.qubesstorage.copy.fs;

import static org.qubesstorage.copy.fs.DiskReader.u16;
import static org.qubesstorage.copy.fs.DiskReader.u32;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.qubesstorage.linux.DataMap.Extent;
import org.qubesstorage.linux.NativeFile;

/**
 * Reads an ext2/3/4 file system's block bitmaps and answers which byte ranges it uses, as
 * {@code e2image -ra} would copy them. Refuses (with the reason) whenever trusting the bitmaps is
 * not safe: not clean, errors recorded, journal recovery pending, or a feature that changes where
 * bitmaps live or what a bit means (meta_bg, bigalloc, unknown features).
 */
public final class Ext4UsedBlocks {
    private static final int SUPERBLOCK_OFFSET = 1024;
    private static final int EXT4_MAGIC = 0xEF53;
    private static final int STATE_VALID = 0x1;
    private static final int STATE_ERROR = 0x2;

    private static final long COMPAT_SPARSE_SUPER2 = 0x200;
    private static final long INCOMPAT_RECOVER = 0x4;
    private static final long INCOMPAT_JOURNAL_DEV = 0x8;
    private static final long INCOMPAT_META_BG = 0x10;
    private static final long INCOMPAT_64BIT = 0x80;
    /** filetype, extents, 64bit, mmp, flex_bg, ea_inode, dirdata, csum_seed, largedir, inline_data, encrypt, casefold. */
    private static final long INCOMPAT_UNDERSTOOD = 0x2 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x1000 | 0x2000
            | 0x4000 | 0x8000 | 0x10000 | 0x20000;
    private static final long RO_COMPAT_SPARSE_SUPER = 0x1;
    private static final long RO_COMPAT_GDT_CSUM = 0x10;
    private static final long RO_COMPAT_BIGALLOC = 0x200;
    private static final long RO_COMPAT_METADATA_CSUM = 0x400;
    /** sparse_super, large_file, btree_dir, huge_file, gdt_csum, dir_nlink, extra_isize, quota, metadata_csum, readonly, project, verity, orphan_present. */
    private static final long RO_COMPAT_UNDERSTOOD = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x100 | 0x400
            | 0x1000 | 0x2000 | 0x8000 | 0x10000;
    private static final int BG_BLOCK_UNINIT = 0x2;

    /** The used ranges (absolute byte offsets), or why they cannot be trusted. */
    public record Result(Optional<List<Extent>> ranges, String reason) {}

    private Ext4UsedBlocks() {}

    /** Examines the file system that starts at {@code offset} and may span {@code length} bytes. */
    public static Result read(NativeFile disk, long offset, long length) {
        ByteBuffer sb = DiskReader.read(disk, offset + SUPERBLOCK_OFFSET, 1024);
        if (sb == null || u16(sb, 0x38) != EXT4_MAGIC) {
            return refuse("no ext2/3/4 file system found");
        }
        long incompat = u32(sb, 0x60);
        long roCompat = u32(sb, 0x64);
        long compat = u32(sb, 0x5C);
        int state = u16(sb, 0x3A);
        if ((state & STATE_VALID) == 0) {
            return refuse("the ext4 file system was not cleanly unmounted (mounted, or needs fsck)");
        }
        if ((state & STATE_ERROR) != 0) {
            return refuse("the ext4 file system has errors recorded");
        }
        if ((incompat & INCOMPAT_RECOVER) != 0) {
            return refuse("the ext4 journal needs recovery (mounted, or not cleanly unmounted)");
        }
        if ((incompat & INCOMPAT_JOURNAL_DEV) != 0) {
            return refuse("this is an external ext4 journal device");
        }
        if ((incompat & INCOMPAT_META_BG) != 0) {
            return refuse("ext4 meta_bg layout is not supported by the file-system-aware copy");
        }
        if ((roCompat & RO_COMPAT_BIGALLOC) != 0) {
            return refuse("ext4 bigalloc is not supported by the file-system-aware copy");
        }
        if ((incompat & ~INCOMPAT_UNDERSTOOD) != 0) {
            return refuse("ext4 has unknown incompatible features 0x" + Long.toHexString(incompat & ~INCOMPAT_UNDERSTOOD));
        }
        if ((roCompat & ~RO_COMPAT_UNDERSTOOD) != 0) {
            return refuse("ext4 has unknown read-only features 0x" + Long.toHexString(roCompat & ~RO_COMPAT_UNDERSTOOD));
        }
        long logBlock = u32(sb, 0x18);
        if (logBlock > 6) {
            return refuse("implausible ext4 block size");
        }
        int blockSize = 1024 << logBlock;
        long blocksCount = u32(sb, 0x04);
        boolean is64 = (incompat & INCOMPAT_64BIT) != 0;
        if (is64) {
            blocksCount |= u32(sb, 0x150) << 32;
        }
        long firstDataBlock = u32(sb, 0x14);
        long blocksPerGroup = u32(sb, 0x20);
        long inodesPerGroup = u32(sb, 0x28);
        int inodeSize = u32(sb, 0x4C) == 0 ? 128 : u16(sb, 0x58);
        int descSize = is64 ? u16(sb, 0xFE) : 32;
        if (blocksPerGroup != 8L * blockSize || blocksCount <= firstDataBlock || descSize < 32
                || inodeSize < 128 || (long) blockSize * blocksCount > length) {
            return refuse("the ext4 superblock's geometry does not fit this image");
        }
        long groups = (blocksCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup;
        long gdtBlocks = (groups * descSize + blockSize - 1) / blockSize;
        long reservedGdt = u16(sb, 0xCE);
        long inodeTableBlocks = (inodesPerGroup * inodeSize + blockSize - 1) / blockSize;
        boolean uninitMeaningful = (roCompat & (RO_COMPAT_GDT_CSUM | RO_COMPAT_METADATA_CSUM)) != 0;
        BackupGroups backups = new BackupGroups((roCompat & RO_COMPAT_SPARSE_SUPER) != 0,
                (compat & COMPAT_SPARSE_SUPER2) != 0, u32(sb, 0x24C), u32(sb, 0x250));

        BlockRuns used = new BlockRuns();
        used.add(0, firstDataBlock + 1 + gdtBlocks + reservedGdt);
        long gdtOffset = offset + (firstDataBlock + 1) * blockSize;
        for (long g = 0; g < groups; g++) {
            ByteBuffer d = DiskReader.read(disk, gdtOffset + g * descSize, descSize);
            if (d == null) {
                return refuse("the ext4 group descriptors are cut off");
            }
            long blockBitmap = u32(d, 0x0);
            long inodeBitmap = u32(d, 0x4);
            long inodeTable = u32(d, 0x8);
            int flags = u16(d, 0x12);
            if (is64 && descSize >= 64) {
                blockBitmap |= u32(d, 0x20) << 32;
                inodeBitmap |= u32(d, 0x24) << 32;
                inodeTable |= u32(d, 0x28) << 32;
            }
            if (blockBitmap >= blocksCount || inodeBitmap >= blocksCount || inodeTable + inodeTableBlocks > blocksCount) {
                return refuse("ext4 group " + g + " points outside the file system");
            }
            // Every group's own metadata is in use wherever it lives (flex_bg packs it together);
            // listing it explicitly is what makes BLOCK_UNINIT groups safe to skip.
            used.add(blockBitmap, 1);
            used.add(inodeBitmap, 1);
            used.add(inodeTable, inodeTableBlocks);
            long groupStart = firstDataBlock + g * blocksPerGroup;
            long groupBlocks = Math.min(blocksPerGroup, blocksCount - groupStart);
            if (backups.has(g)) {
                used.add(groupStart, Math.min(groupBlocks, 1 + gdtBlocks + reservedGdt));
            }
            if (uninitMeaningful && (flags & BG_BLOCK_UNINIT) != 0) {
                continue;
            }
            ByteBuffer bitmap = DiskReader.read(disk, offset + blockBitmap * blockSize, blockSize);
            if (bitmap == null) {
                return refuse("ext4 block bitmap of group " + g + " is cut off");
            }
            addBitmapRuns(used, bitmap, groupStart, groupBlocks);
        }
        List<Extent> ranges = new ArrayList<>();
        for (long[] run : used.runs()) {
            ranges.add(new Extent(offset + run[0] * blockSize, offset + Math.min(blocksCount, run[1]) * blockSize));
        }
        long fsEnd = offset + blocksCount * blockSize;
        if (fsEnd < offset + length) {
            ranges.add(new Extent(fsEnd, offset + length));
        }
        return new Result(Optional.of(ranges), "ext4, block size " + blockSize + ", " + groups + " groups");
    }

    private static void addBitmapRuns(BlockRuns used, ByteBuffer bitmap, long groupStart, long groupBlocks) {
        long runStart = -1;
        for (long i = 0; i < groupBlocks; i++) {
            int b = bitmap.get((int) (i >>> 3));
            boolean set = (b & (1 << (i & 7))) != 0;
            if (set && runStart < 0) {
                runStart = i;
            } else if (!set && runStart >= 0) {
                used.add(groupStart + runStart, i - runStart);
                runStart = -1;
            }
        }
        if (runStart >= 0) {
            used.add(groupStart + runStart, groupBlocks - runStart);
        }
    }

    private static Result refuse(String reason) {
        return new Result(Optional.empty(), reason);
    }

    /** Which groups hold a superblock and group-descriptor backup. */
    private record BackupGroups(boolean sparseSuper, boolean sparseSuper2, long backup1, long backup2) {
        boolean has(long group) {
            if (group == 0) {
                return true;
            }
            if (sparseSuper2) {
                return group == backup1 || group == backup2;
            }
            if (!sparseSuper) {
                return true;
            }
            return group == 1 || isPower(group, 3) || isPower(group, 5) || isPower(group, 7);
        }

        private static boolean isPower(long n, long base) {
            long p = base;
            while (p < n) {
                p *= base;
            }
            return p == n;
        }
    }
}
