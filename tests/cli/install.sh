# make install PREFIX=... DESTDIR=...: the tools and their man pages land
# where asked, and the installed tools run.
. "$QP_ROOT/tests/lib.sh"
B=$(cd "$QP_BIN/.." && pwd)
make -s -C "$QP_ROOT" install BUILD="$B" PREFIX=/opt/qp DESTDIR="$T/dest" >"$T/out" 2>&1; rc=$?
is "make install exits 0" "$rc" 0
for tool in athena-ddl cnn-fetch kmeta kmock kprod kcons lambda-bootstrap quote-window quote-xform s3cat s3put; do
	if [ -x "$T/dest/opt/qp/bin/$tool" ] && [ -f "$T/dest/opt/qp/share/man/man1/$tool.1" ]; then
		ok "$tool and $tool.1 installed under DESTDIR/PREFIX"
	else not_ok "$tool or $tool.1 missing under $T/dest/opt/qp"; fi
done
check "quotepipe-aws.7, the AWS settings, installed in man7" \
    test -f "$T/dest/opt/qp/share/man/man7/quotepipe-aws.7"
"$T/dest/opt/qp/bin/quote-xform" --print-default >"$T/default.jq"
same_file "quote-xform's default program is installed as share/quotepipe/clean.jq" \
    "$T/dest/opt/qp/share/quotepipe/clean.jq" "$T/default.jq"
is "the installed kprod runs" "$("$T/dest/opt/qp/bin/kprod" -V | cut -d' ' -f1)" kprod
done_testing
