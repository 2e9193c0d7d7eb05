package org.qubesstorage.migrate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hostile and broken variants of a valid qubes.xml, generated: truncations, DTDs and external
 * entities, entity expansion bombs, huge, negative and non-numeric sizes, names that climb out of
 * directories, start with '-', hold spaces or non-ASCII, duplicate vids and names, pools and
 * sources that do not exist, bad bytes. Each one must be refused with exit code 2 (3 where only
 * recorded data is missing: the file is sound, the plan is shown) and nothing
 * written.
 */
final class HostileCorpus {
    /** @param expectedExit 2 (bad input), or 3 where the file is sound but data it records is missing */
    record Case(String name, byte[] content, int expectedExit) {
        Case(String name, byte[] content) {
            this(name, content, ExitCodes.INPUT);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private HostileCorpus() {}

    static List<Case> of(String valid) {
        List<Case> cases = new ArrayList<>();
        // Truncated anywhere: 80 cut points spread over the file.
        for (int i = 1; i <= 80; i++) {
            int at = (int) ((long) valid.length() * i / 81);
            cases.add(text("truncated at " + at, valid.substring(0, at)));
        }
        String body = valid.substring(valid.indexOf("<qubes>"));
        cases.add(text("DTD", "<!DOCTYPE qubes [<!ELEMENT qubes ANY>]>\n" + body));
        cases.add(text("XXE file", "<!DOCTYPE qubes [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                + body.replace("<property name=\"default_kernel\">6.12.0-1", "<property name=\"default_kernel\">&x;")));
        cases.add(text("XXE parameter entity", "<!DOCTYPE qubes [<!ENTITY % p SYSTEM \"file:///etc/hostname\"> %p;]>\n" + body));
        cases.add(text("XXE http", "<!DOCTYPE qubes SYSTEM \"http://127.0.0.1:1/x.dtd\">\n" + body));
        cases.add(text("billion laughs", "<!DOCTYPE qubes [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                + "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n"
                + body.replace(">6.12.0-1<", ">&d;<")));
        cases.add(text("undeclared entity", body.replace(">6.12.0-1<", ">&nope;<")));
        cases.add(text("quadratic blowup", "<!DOCTYPE qubes [<!ENTITY a \"" + "x".repeat(50_000) + "\">]>\n"
                + body.replace(">6.12.0-1<", ">" + "&a;".repeat(200) + "<")));
        cases.add(text("not xml", "this is not a qubes.xml\n"));
        cases.add(text("empty", ""));
        cases.add(text("wrong root", body.replace("<qubes>", "<qubez>").replace("</qubes>", "</qubez>")));
        cases.add(new Case("bad UTF-8", concat(valid.substring(0, valid.indexOf("debian-12")), new byte[] {(byte) 0xC3, (byte) 0x28},
                valid.substring(valid.indexOf("debian-12")))));
        cases.add(new Case("NUL byte", concat(valid.substring(0, 200), new byte[] {0}, valid.substring(200))));
        cases.add(text("huge file", valid.replace("</qubes>", "<!--" + "x".repeat(70 << 20) + "--></qubes>")));

        List<String> volumes = matches(valid, "<volume name=\"(root|private)\" pool=\"varlibqubes\"[^>]*size=\"\\d+\"[^>]*/>");
        for (String vol : volumes) {
            for (String bad : List.of("-1", "99999999999999999999999", "12abc", "", "1e9", "0x100")) {
                cases.add(text("size '" + bad + "' in " + shortName(vol), valid.replace(vol, vol.replaceFirst("size=\"\\d+\"", "size=\"" + bad + "\""))));
            }
        }
        List<String> vids = matches(valid, "vid=\"(vm-templates|appvms)/[^\"]+\"");
        String[] badVids = {"../../etc/shadow", "/etc/passwd", "appvms/../../../root/x", "-rf", "appvms/work/ private", "appvms/wörk/private",
            "appvms/work/private\nx", "appvms/work/private/extra"};
        for (int i = 0; i < Math.min(vids.size(), 6); i++) {
            for (String bad : badVids) {
                cases.add(text("vid '" + bad.replace("\n", "\\n") + "' for " + vids.get(i), valid.replace(vids.get(i), "vid=\"" + bad + "\"")));
            }
        }
        List<String> names = matches(valid, "<property name=\"name\">[^<]+</property>");
        String[] badNames = {"../evil", "-rf", "with space", "wörk", "a/b", "", ".", "x".repeat(40), "dom0"};
        for (String n : names.subList(1, names.size())) {
            for (String bad : badNames) {
                cases.add(text("domain name '" + bad + "' for " + n, valid.replace(n, "<property name=\"name\">" + bad + "</property>")));
            }
        }
        List<String> pools = matches(valid, "pool=\"varlibqubes\"");
        for (int i = 0; i < 6; i++) {
            int k = i;
            cases.add(text("volume " + i + " in a missing pool", replaceNth(valid, "pool=\"varlibqubes\"", k, "pool=\"nosuchpool\"")));
            cases.add(text("volume " + i + " with a pool name starting with -", replaceNth(valid, "pool=\"varlibqubes\"", k, "pool=\"-x\"")));
        }
        cases.add(text("pool element removed", valid.replaceFirst("<pool name=\"varlibqubes\"[^>]*/>", "")));
        cases.add(text("pool with unknown driver", valid.replace("driver=\"file\"", "driver=\"nosuchdriver\"")));
        cases.add(text("pool dir_path relative", valid.replaceFirst("(<pool name=\"varlibqubes\" dir_path=\")", "$1../..")));
        cases.add(text("duplicate pool", valid.replaceFirst("(<pool name=\"varlibqubes\"[^>]*/>)", "$1$1")));
        List<String> sources = matches(valid, "source=\"[^\"]+\"");
        for (String s : sources) {
            cases.add(text("source " + s + " points at nothing", valid.replace(s, "source=\"vm-templates/nosuch/root\"")));
            cases.add(text("source " + s + " climbs out", valid.replace(s, "source=\"../../../etc/passwd\"")));
        }
        for (String t : List.of("<property name=\"template\">debian-12</property>", "<property name=\"template\">default-dvm</property>")) {
            cases.add(text("template missing: " + t, valid.replace(t, t.replace(">debian-12<", ">nosuch<").replace(">default-dvm<", ">nosuch<"))));
        }
        cases.add(text("template loop", valid.replace("<property name=\"qid\">1</property>",
                "<property name=\"qid\">1</property>\n        <property name=\"template\">work</property>")));
        cases.add(new Case("image missing (vid of another file)", valid.replace("vid=\"appvms/work/private\"",
                "vid=\"appvms/work/nothing\"").getBytes(StandardCharsets.UTF_8), ExitCodes.REFUSED));
        cases.add(text("duplicate vid", valid.replace("vid=\"appvms/standalone/private\"", "vid=\"appvms/work/private\"")));
        cases.add(text("duplicate domain name", valid.replace("<property name=\"name\">standalone</property>",
                "<property name=\"name\">work</property>")));
        cases.add(text("duplicate volume", valid.replaceFirst("(<volume name=\"private\"[^>]*/>)", "$1$1")));
        cases.add(text("duplicate qid", valid.replace("<property name=\"qid\">5</property>", "<property name=\"qid\">2</property>")));
        cases.add(text("unknown class", valid.replace("class=\"StandaloneVM\"", "class=\"EvilVM\"")));
        cases.add(text("revisions_to_keep -5", valid.replaceFirst("revisions_to_keep=\"1\"", "revisions_to_keep=\"-5\"")));
        cases.add(text("revisions_to_keep huge", valid.replaceFirst("revisions_to_keep=\"1\"", "revisions_to_keep=\"99999999999\"")));
        cases.add(text("boolean not a boolean", valid.replaceFirst("save_on_stop=\"True\"", "save_on_stop=\"yes please\"")));
        cases.add(text("volume name with slash", valid.replaceFirst("<volume name=\"private\"", "<volume name=\"../private\"")));
        cases.add(text("volume name with -", valid.replaceFirst("<volume name=\"private\"", "<volume name=\"-private\"")));
        return cases;
    }

    private static String shortName(String volumeElement) {
        Matcher m = Pattern.compile("vid=\"([^\"]+)\"").matcher(volumeElement);
        return m.find() ? m.group(1) : volumeElement;
    }

    private static String replaceNth(String s, String what, int n, String with) {
        int at = -1;
        for (int i = 0; i <= n; i++) {
            at = s.indexOf(what, at + 1);
            if (at < 0) {
                return s;
            }
        }
        return s.substring(0, at) + with + s.substring(at + what.length());
    }

    private static List<String> matches(String s, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(s);
        while (m.find()) {
            if (!out.contains(m.group())) {
                out.add(m.group());
            }
        }
        return out;
    }

    private static Case text(String name, String content) {
        return new Case(name, content.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(String a, byte[] mid, String b) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] z = b.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[x.length + mid.length + z.length];
        System.arraycopy(x, 0, out, 0, x.length);
        System.arraycopy(mid, 0, out, x.length, mid.length);
        System.arraycopy(z, 0, out, x.length + mid.length, z.length);
        return out;
    }
}
