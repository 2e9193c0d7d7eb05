/**
 * The wire format of {@code qvm-to-lvm}: the journal's lines and the {@code --json} documents, as
 * records whose every field name is spelled out. Nothing here depends on the migration's domain
 * types: {@code WireFormat} in the parent package maps between the two, so a renamed component or
 * a new helper method in the domain cannot change what a journal says (a journal outlives the
 * build that wrote it, and {@code --resume} must read it).
 */
package org.qubesstorage.migrate.json;
