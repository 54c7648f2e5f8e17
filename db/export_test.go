package db

// For the tests of package db_test.
var (
	CompactValue = compactValue
	StoredValues = storedValues
)
