package export

// headings are the matrix's column headings in Russian and Tajik; in English they are the
// keys of Columns, which scripts rely on. A matrix is read back with its headings in any of
// the three.
var headings = map[string]map[string]string{
	"ru": {
		"code": "Код", "title": "Мера", "lead": "Ответственный", "lead_name": "Ответственный орган",
		"co_implementers": "Соисполнители", "recommendations": "Рекомендации", "icrmw_articles": "Статьи Конвенции",
		"deadline": "Срок", "due_start": "Начало срока", "due_end": "Окончание срока", "status": "Статус",
		"ogp_irm_completion": "Выполнение по шкале OGP IRM", "iati_activity_status": "Статус по IATI",
		"progress_percent": "Прогресс, %", "overdue": "Просрочено", "reported_period": "Отчётный период",
		"latest_narrative": "Последний отчёт", "evidence": "Подтверждения",
	},
	"tg": {
		"code": "Рамз", "title": "Чора", "lead": "Масъул", "lead_name": "Мақоми масъул",
		"co_implementers": "Ҳамиҷрокунандагон", "recommendations": "Тавсияҳо", "icrmw_articles": "Моддаҳои Конвенсия",
		"deadline": "Мӯҳлат", "due_start": "Оғози мӯҳлат", "due_end": "Анҷоми мӯҳлат", "status": "Ҳолат",
		"ogp_irm_completion": "Иҷро аз рӯи ченаки OGP IRM", "iati_activity_status": "Ҳолат аз рӯи IATI",
		"progress_percent": "Пешрафт, %", "overdue": "Мӯҳлат гузаштааст", "reported_period": "Давраи ҳисоботӣ",
		"latest_narrative": "Гузориши охирин", "evidence": "Далелҳо",
	},
}

// Headings are the matrix's column headings in lang.
func Headings(lang string) []string { return headingsIn(lang, Columns, headings) }

// headingsIn names columns by their keys' names in lang, or by the keys themselves.
func headingsIn(lang string, keys []string, names map[string]map[string]string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if h, ok := names[lang][k]; ok {
			out[i] = h
		} else {
			out[i] = k
		}
	}
	return out
}

// column returns the key of a heading in any language, and the heading's language ("en" for
// a key).
func column(heading string) (key, lang string, ok bool) {
	for _, c := range Columns {
		if heading == c {
			return c, "en", true
		}
	}
	for lang, hs := range headings {
		for key, h := range hs {
			if heading == h {
				return key, lang, true
			}
		}
	}
	return "", "", false
}
