package web

import "testing"

func TestCSVCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                        "",
		"Deal #3":                 "Deal #3",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+cmd|' /C calc'!A0":      "'+cmd|' /C calc'!A0",
		"-2+3+cmd|' /C calc'!A0":  "'-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd":           "'@SUM(1+1)*cmd",
		"\t=1+1":                  "'\t=1+1",
		"\r=1+1":                  "'\r=1+1",
		"-1500":                   "-1500",
		"-1\u00a0500.25":          "-1\u00a0500.25",
		"-0.5":                    "-0.5",
		"-1e308":                  "'-1e308",
		"-":                       "'-",
		"-Infinity":               "'-Infinity",
		"-0x1F":                   "'-0x1F",
		"a=b":                     "a=b",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}
