/** Leak scanner: finds checksum-confirmed Keygate keys in files, git history and streams. */
package io.keygate.scan;
