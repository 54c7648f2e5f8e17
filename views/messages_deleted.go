package views

// The words for deleted records and their restore, in both languages.
func init() {
	register("en", map[string]string{
		"settings.deleted.title":        "Deleted records",
		"settings.deleted.hint":         "Records deleted in Bitrix24, as Trail last saw them, kept for the history's retention period. Open one to see its last state and history, or restore it as a new record.",
		"settings.deleted.type":         "Type",
		"settings.deleted.empty":        "No deleted records.",
		"settings.deleted.record":       "Record",
		"settings.deleted.who":          "Deleted by",
		"settings.deleted.more":         "More",
		"settings.deleted.by":           "Deleted by %s, %s",
		"settings.deleted.restored_as":  "restored as #%s",
		"settings.deleted.restore":      "Restore as a new record",
		"settings.deleted.last_state":   "Last state",
		"settings.deleted.preview":      "A new record will be created with these values, with your own Bitrix24 rights. Fields Bitrix24 does not take on creation and links to records that no longer exist are not written.",
		"settings.deleted.not_restored": "Bitrix24 refused to create the record: nothing was restored.",
		"settings.deleted.applying":     "The record is being restored: open the list again in a moment.",
		"settings.deleted.cannot":       "Records of this type cannot be restored yet: Trail restores deals, leads, contacts and companies.",
		"tab.restored_from":             "restored from deleted record #%s",
		"settings.reverts.recreate":     "deleted; restored as a new record:",
		"revert.reason.link_gone":       "the linked record no longer exists in Bitrix24 (or you may not read it)",
		"error.recreated":               "This record was restored already as #%s.",
		"error.recreate_none":           "Trail holds no deleted record with this number.",
	})
	register("ru", map[string]string{
		"settings.deleted.title":        "Удалённые записи",
		"settings.deleted.hint":         "Записи, удалённые в Битрикс24, такими, какими Trail видел их в последний раз; хранятся весь срок хранения истории. Откройте запись, чтобы увидеть её последнее состояние и историю, или восстановите её как новую.",
		"settings.deleted.type":         "Тип",
		"settings.deleted.empty":        "Удалённых записей нет.",
		"settings.deleted.record":       "Запись",
		"settings.deleted.who":          "Кто удалил",
		"settings.deleted.more":         "Ещё",
		"settings.deleted.by":           "Удалил(а) %s, %s",
		"settings.deleted.restored_as":  "восстановлена как №%s",
		"settings.deleted.restore":      "Восстановить как новую запись",
		"settings.deleted.last_state":   "Последнее состояние",
		"settings.deleted.preview":      "Будет создана новая запись с этими значениями, с вашими правами в Битрикс24. Поля, которые Битрикс24 не принимает при создании, и связи с записями, которых больше нет, не записываются.",
		"settings.deleted.not_restored": "Битрикс24 отказался создать запись: ничего не восстановлено.",
		"settings.deleted.applying":     "Запись восстанавливается: откройте список ещё раз через минуту.",
		"settings.deleted.cannot":       "Записи этого типа пока нельзя восстановить: Trail восстанавливает сделки, лиды, контакты и компании.",
		"tab.restored_from":             "восстановлена из удалённой записи №%s",
		"settings.reverts.recreate":     "удалена; восстановление как новой записи:",
		"revert.reason.link_gone":       "связанной записи больше нет в Битрикс24 (или у вас нет права её читать)",
		"error.recreated":               "Эта запись уже восстановлена как №%s.",
		"error.recreate_none":           "У Trail нет удалённой записи с этим номером.",
	})
}
