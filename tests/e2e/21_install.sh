# SPDX-License-Identifier: MIT
# 21_install - make install puts kitrace, libkitjit (static and shared), its
# header, its pkg-config file and the man pages under PREFIX, and a JIT
# program builds against the installed library with pkg-config alone.
. "${TESTS:-tests/e2e}/lib.sh"
need_kitrace
# Nothing here can be built beforehand: the test is make install itself, and
# a compile against what it installed.  The emulated AArch64 guest has
# neither make nor a compiler, so the test skips there.
missing=
for c in make pkg-config cc; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -z "$missing" ] ||
	skip "make install, then a build against the installed libkitjit; not installed:$missing"

make --no-print-directory install PREFIX="$T/inst" BUILD="$BUILD" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "make install failed"; }
for f in bin/kitrace lib/libkitjit.a lib/libkitjit.so.0 lib/libkitjit.so include/kitjit.h \
	lib/pkgconfig/kitjit.pc share/man/man1/kitrace.1 share/man/man3/kitjit.3 \
	share/man/man7/kitjit-registry.7; do
	[ -e "$T/inst/$f" ] || fail "not installed: $f"
done
"$T/inst/bin/kitrace" --version | grep -q '^kitrace ' || fail "installed kitrace does not run"

cat > "$T/use.c" <<'C'
#include <kitjit.h>
#include <stdio.h>
static int code(void) { return 7; }
int main(void)
{
	kitjit_code *c = kitjit_add("installed_fn", (const void *)code, 16);
	if (!c)
		return 1;
	kitjit_remove(c);
	puts("kitjit ok");
	return 0;
}
C
export PKG_CONFIG_PATH="$T/inst/lib/pkgconfig"
# shellcheck disable=SC2046
# A sanitizer build installs a sanitized library: link the runtime too.
case ${SAN:-} in
asan) sanflags=-fsanitize=address ;;
ubsan) sanflags=-fsanitize=undefined ;;
*) sanflags= ;;
esac
cc $sanflags -o "$T/use" "$T/use.c" $(pkg-config --cflags --libs kitjit) -Wl,-rpath,"$T/inst/lib" ||
	fail "cannot build against the installed libkitjit"
run "$T/use"
expect_status 0
expect_out_contains "kitjit ok"
