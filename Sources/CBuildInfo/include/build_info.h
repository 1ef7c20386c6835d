// The version of mariadb-migrate: the one place it is written. scripts/package reads the line below for the
// Debian package's version; the binary (`--version`) and the backups' manifests read it through BuildInfo.
#define MM_VERSION "0.1.0"

// The commit the binary was built from: scripts/package passes -Xcc -DMM_COMMIT="<sha>"; "" in other builds.
const char *mm_build_commit(void);
