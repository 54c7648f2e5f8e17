package views

// The words for estimates, invoices and smart processes, in both languages.
func init() {
	register("en", map[string]string{
		"settings.entity.quote":             "Estimates",
		"settings.entity.smart_invoice":     "Invoices",
		"settings.entity_one.quote":         "Estimate",
		"settings.entity_one.smart_invoice": "Invoice",
		"settings.entity.dynamic":           "Smart process %d",
		"settings.entity_one.dynamic":       "Item",
		"settings.tracking.deleted":         "Deleted from the portal; its history is kept",
		"settings.tracking.new_types":       "A smart process created on the portal later is recorded, with its History tab, as soon as Trail learns of it; turn it off here if you do not want it.",
	})
	register("ru", map[string]string{
		"settings.entity.quote":             "Предложения",
		"settings.entity.smart_invoice":     "Счета",
		"settings.entity_one.quote":         "Предложение",
		"settings.entity_one.smart_invoice": "Счёт",
		"settings.entity.dynamic":           "Смарт-процесс %d",
		"settings.entity_one.dynamic":       "Элемент",
		"settings.tracking.deleted":         "Удалён с портала; история сохранена",
		"settings.tracking.new_types":       "Смарт-процесс, созданный на портале позже, записывается (с вкладкой «История»), как только Trail о нём узнает; здесь его можно выключить.",
	})
}
