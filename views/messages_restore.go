package views

// The words for putting a whole record back as it was at a moment, in
// both languages.
func init() {
	register("en", map[string]string{
		"asof.restore":            "Put the record back as it was at this moment",
		"tab.restore.title":       "Put the record back as of %s",
		"tab.restore.help":        "Every tracked field gets its value of that moment; fields that already hold it are not listed. A field someone else changed since then is unticked: tick it if you mean to undo their change too.",
		"tab.restore.conflict":    "changed since then by someone else: check before putting it back",
		"tab.restore.submit":      "Put back the ticked fields",
		"tab.restores":            "puts the record back as of %s",
		"settings.reverts.moment": "as of %s",
		"error.restore_gone":      "The record had been deleted by then: there is no state to put back.",
	})
	register("ru", map[string]string{
		"asof.restore":            "Вернуть запись к состоянию на этот момент",
		"tab.restore.title":       "Вернуть запись к состоянию на %s",
		"tab.restore.help":        "Каждое отслеживаемое поле получит значение того момента; поля, в которых оно уже есть, не показаны. Поле, которое с тех пор менял кто-то другой, не отмечено: отметьте его, если хотите отменить и его изменение.",
		"tab.restore.conflict":    "с тех пор менял кто-то другой: проверьте перед возвратом",
		"tab.restore.submit":      "Вернуть отмеченные поля",
		"tab.restores":            "возвращает запись к состоянию на %s",
		"settings.reverts.moment": "на %s",
		"error.restore_gone":      "К тому моменту запись была удалена: возвращать нечего.",
	})
}
