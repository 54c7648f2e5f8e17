package web

import (
	"strconv"
	"strings"
)

// csvCell makes a value safe to open in a spreadsheet: a cell starting with
// =, +, -, @, a tab or a carriage return is read as a formula by Excel,
// LibreOffice and Google Sheets, so a value planted in a CRM record would
// run in the exporting admin's spreadsheet. Such cells get a leading single
// quote, which spreadsheets show as text (OWASP's advice for CSV
// injection). Negative numbers ("-1 500.25") stay as they are: they are
// data, and a number cannot call anything.
func csvCell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNegativeNumber(s) {
		return s
	}
	return "'" + s
}

func isNegativeNumber(s string) bool {
	if s[0] != '-' {
		return false
	}
	digits := strings.NewReplacer("\u00a0", "", " ", "").Replace(s[1:])
	if digits == "" || digits[0] < '0' || digits[0] > '9' {
		return false
	}
	_, err := strconv.ParseFloat(digits, 64)
	return err == nil && !strings.ContainsAny(digits, "eEpPxX_")
}

// csvRow neutralises every cell of a row.
func csvRow(cells ...string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = csvCell(c)
	}
	return out
}
