#!/usr/bin/env python3
"""A generated installation for the benchmarks: qubes.xml with one template and N-1 AppVMs based on
it, each with a 1 MiB sparse private image, in a file-reflink pool, plus an empty file-reflink pool
"target". Usage: generate-installation.py N DIRECTORY"""
import os, sys
n, root = int(sys.argv[1]), sys.argv[2]
def img(rel):
    p = os.path.join(root, rel + ".img")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.truncate(1 << 20)
out = ['<qubes>\n <pools>\n  <pool name="varlibqubes" driver="file-reflink" dir_path="%s"/>\n' % root,
       '  <pool name="target" driver="file-reflink" dir_path="%s/target"/>\n </pools>\n' % root,
       ' <properties><property name="default_pool">varlibqubes</property></properties>\n <domains>\n',
       '  <domain id="domain-0" class="AdminVM"><properties/></domain>\n']
vol = '    <volume name="%s" pool="varlibqubes" vid="%s" rw="True" save_on_stop="%s" snap_on_start="%s" size="1048576"%s/>\n'
out.append('  <domain id="domain-1" class="TemplateVM"><properties><property name="name">tpl</property>'
           '<property name="qid">1</property></properties><volume-config>\n')
for v in ("root", "private"):
    img("vm-templates/tpl/" + v)
    out.append(vol % (v, "vm-templates/tpl/" + v, "True", "False", ""))
out.append('  </volume-config></domain>\n')
for i in range(2, n + 1):
    name = "vm%d" % i
    out.append('  <domain id="domain-%d" class="AppVM"><properties><property name="name">%s</property>'
               '<property name="qid">%d</property><property name="template">tpl</property></properties><volume-config>\n' % (i, name, i))
    out.append(vol % ("root", "appvms/%s/root" % name, "False", "True", ' source="vm-templates/tpl/root"'))
    img("appvms/%s/private" % name)
    out.append(vol % ("private", "appvms/%s/private" % name, "True", "False", ""))
    out.append(vol % ("volatile", "appvms/%s/volatile" % name, "False", "False", ""))
    out.append('  </volume-config></domain>\n')
out.append(' </domains>\n</qubes>\n')
open(os.path.join(root, "qubes.xml"), "w").write("".join(out))
