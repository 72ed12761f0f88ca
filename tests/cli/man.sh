# Man pages: mandoc -Tlint clean; --help's usage is the SYNOPSIS; every
# option in --help is described in the page.
. "$QP_ROOT/tests/lib.sh"
for tool in athena-ddl cnn-fetch kmeta kmock kprod kcons lambda-bootstrap quote-window quote-xform s3cat s3put; do
	page=$QP_ROOT/man/$tool.1
	lint=$(cd "$QP_ROOT/man" && mandoc -Tlint "$tool.1" 2>&1)
	is "$tool.1: mandoc -Tlint is clean" "$lint" ""
	"$tool" --help >"$T/help"; rc=$?
	is "$tool --help exits 0" "$rc" 0
	usage=$(sed -n '1,/^$/p' "$T/help" | sed 's/^usage: //' | tr -s ' \n\t' ' ' | sed 's/ $//')
	synopsis=$(mandoc -Tascii -O width=400 "$page" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n\t' ' ' |
	    sed 's/^ //; s/ $//')
	is "$tool --help usage matches the SYNOPSIS" "$usage" "$synopsis"
	mandoc -Tascii -O width=400 "$page" | col -b >"$T/page"
	missing=
	for opt in $(grep -E '^  +-' "$T/help" | cut -c1-26 |
	    grep -oE -- '--?[A-Za-z][a-z-]*'); do
		grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" "$T/page" || missing="$missing $opt"
	done
	is "$tool: every option in --help is in the page" "$missing" ""
	"$tool" --no-such-option >/dev/null 2>"$T/err"; rc=$?
	is "$tool: an unknown option is a usage error (64), said in one line" \
	    "$rc $(wc -l <"$T/err") $(grep -c "^$tool: --no-such-option: no such option ($tool --help lists them)\$" "$T/err")" "64 1 1"
	"$tool" -V >"$T/v"; rc=$?
	is "$tool -V prints a version" "$rc $(grep -cE "^$tool [0-9]" "$T/v")" "0 1"
done
# The pages of no tool: lint only.
for page in quotepipe-aws.7; do
	lint=$(cd "$QP_ROOT/man" && mandoc -Tlint "$page" 2>&1)
	is "$page: mandoc -Tlint is clean" "$lint" ""
done
done_testing
