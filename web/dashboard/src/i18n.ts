// The dashboard's words in Tajik, Russian and English, and how text the API holds in several
// languages is shown in one.
import type { ImplementationStatus, Text } from "@naptracker/sdk";

export type Lang = "tg" | "ru" | "en";
export const languages: readonly Lang[] = ["tg", "ru", "en"];

// When a text is missing in the chosen language, the next that has it (as the API's exports do).
const fallback: Record<Lang, readonly Lang[]> = {
  tg: ["tg", "ru", "en"],
  ru: ["ru", "en", "tg"],
  en: ["en", "ru", "tg"],
};

/** A multilingual text in the first language of lang's fallback order that has it, and which one that is. */
export function pick(text: Text | undefined, lang: Lang): { text: string; lang: Lang } | undefined {
  for (const l of fallback[lang]) {
    const value = text?.[l];
    if (value) return { text: value, lang: l };
  }
  return undefined;
}

export const statuses: readonly ImplementationStatus[] = [
  "no_information", "not_started", "in_progress", "ongoing",
  "partially_implemented", "implemented", "not_implemented", "cancelled",
];

const statusNames: Record<ImplementationStatus, Record<Lang, string>> = {
  no_information: { en: "No information", ru: "Нет информации", tg: "Маълумот нест" },
  not_started: { en: "Not started", ru: "Не начато", tg: "Оғоз нашудааст" },
  in_progress: { en: "In progress", ru: "Выполняется", tg: "Дар ҷараён" },
  ongoing: { en: "Ongoing", ru: "Выполняется постоянно", tg: "Доимӣ" },
  partially_implemented: { en: "Partially implemented", ru: "Выполнено частично", tg: "Қисман иҷро шудааст" },
  implemented: { en: "Implemented", ru: "Выполнено", tg: "Иҷро шудааст" },
  not_implemented: { en: "Not implemented", ru: "Не выполнено", tg: "Иҷро нашудааст" },
  cancelled: { en: "Cancelled", ru: "Отменено", tg: "Бекор карда шуд" },
};

export function statusName(status: ImplementationStatus, lang: Lang): string {
  return statusNames[status][lang];
}

const words = {
  languageName: { en: "English", ru: "Русский", tg: "Тоҷикӣ" },
  title: { en: "National Action Plan: progress", ru: "Национальный план действий: ход выполнения", tg: "Нақшаи миллии амал: рафти иҷро" },
  skip: { en: "Skip to the measures", ru: "Перейти к мерам", tg: "Гузаштан ба чорабиниҳо" },
  language: { en: "Language", ru: "Язык", tg: "Забон" },
  token: { en: "Partner token (kept in this tab only)", ru: "Токен партнёра (хранится только в этой вкладке)", tg: "Токени шарик (танҳо дар ҳамин варақа нигоҳ дошта мешавад)" },
  useToken: { en: "Use token", ru: "Применить токен", tg: "Истифодаи токен" },
  forgetToken: { en: "Forget token", ru: "Забыть токен", tg: "Фаромӯш кардани токен" },
  publicView: { en: "Public view: progress approved for the public.", ru: "Открытый просмотр: ход выполнения, одобренный для публикации.", tg: "Намоиши оммавӣ: пешрафти барои ҳама тасдиқшуда." },
  partnerView: { en: "Partner view, with the token kept in this tab.", ru: "Просмотр партнёра, с токеном в этой вкладке.", tg: "Намоиши шарик, бо токене, ки дар ҳамин варақа аст." },
  tokenRefused: { en: "The token was refused; showing the public view.", ru: "Токен отклонён; показан открытый просмотр.", tg: "Токен рад шуд; намоиши оммавӣ нишон дода мешавад." },
  plan: { en: "Plan", ru: "План", tg: "Нақша" },
  noPlans: { en: "No published plans.", ru: "Нет опубликованных планов.", tg: "Нақшаи нашршуда нест." },
  period: { en: "Period", ru: "Период", tg: "Давра" },
  counts: { en: "Where the plan stands", ru: "Состояние плана", tg: "Вазъи нақша" },
  total: { en: "Measures", ru: "Мер", tg: "Чорабиниҳо" },
  overdue: { en: "Overdue", ru: "Просрочено", tg: "Мӯҳлаташ гузашта" },
  byStatus: { en: "By status", ru: "По статусу", tg: "Аз рӯи ҳолат" },
  byLead: { en: "By lead ministry", ru: "По ведущему ведомству", tg: "Аз рӯи вазорати масъул" },
  byArticle: { en: "By ICRMW article", ru: "По статьям Конвенции (ICRMW)", tg: "Аз рӯи моддаҳои Конвенсия (ICRMW)" },
  status: { en: "Status", ru: "Статус", tg: "Ҳолат" },
  lead: { en: "Lead ministry", ru: "Ведущее ведомство", tg: "Вазорати масъул" },
  organization: { en: "Lead or co-implementer", ru: "Ведущий или соисполнитель", tg: "Масъул ё ҳамиҷрокунанда" },
  article: { en: "ICRMW article", ru: "Статья Конвенции", tg: "Моддаи Конвенсия" },
  articleN: { en: "Article {n}", ru: "Статья {n}", tg: "Моддаи {n}" },
  search: { en: "Words", ru: "Слова", tg: "Калимаҳо" },
  any: { en: "Any", ru: "Любой", tg: "Ҳама" },
  yes: { en: "Yes", ru: "Да", tg: "Ҳа" },
  no: { en: "No", ru: "Нет", tg: "Не" },
  apply: { en: "Show", ru: "Показать", tg: "Нишон додан" },
  reset: { en: "Clear filters", ru: "Сбросить фильтры", tg: "Тоза кардани филтрҳо" },
  pageSize: { en: "Rows per page", ru: "Строк на странице", tg: "Сатрҳо дар саҳифа" },
  measures: { en: "Measures", ru: "Меры", tg: "Чорабиниҳо" },
  filters: { en: "Filters", ru: "Фильтры", tg: "Филтрҳо" },
  code: { en: "Code", ru: "Код", tg: "Рамз" },
  measure: { en: "Measure", ru: "Мера", tg: "Чорабинӣ" },
  progress: { en: "Progress", ru: "Выполнение", tg: "Пешрафт" },
  due: { en: "Due", ru: "Срок", tg: "Мӯҳлат" },
  previous: { en: "Previous page", ru: "Предыдущая страница", tg: "Саҳифаи қаблӣ" },
  next: { en: "Next page", ru: "Следующая страница", tg: "Саҳифаи навбатӣ" },
  page: { en: "Page {n}", ru: "Страница {n}", tg: "Саҳифаи {n}" },
  noMeasures: { en: "No measure matches.", ru: "Нет подходящих мер.", tg: "Ягон чорабинӣ мувофиқ нест." },
  showUpdates: { en: "Approved updates of measure {code}", ru: "Одобренные отчёты по мере {code}", tg: "Ҳисоботҳои тасдиқшудаи чорабинии {code}" },
  updates: { en: "Approved progress updates", ru: "Одобренные отчёты о ходе выполнения", tg: "Ҳисоботҳои тасдиқшудаи пешрафт" },
  noUpdates: { en: "No approved update yet.", ru: "Одобренных отчётов пока нет.", tg: "Ҳоло ҳисоботи тасдиқшуда нест." },
  approved: { en: "Approved {date}", ru: "Одобрено {date}", tg: "Тасдиқ шуд {date}" },
  contentDigest: { en: "Content SHA-256", ru: "SHA-256 содержания", tg: "SHA-256-и мундариҷа" },
  evidence: { en: "Evidence", ru: "Подтверждающие материалы", tg: "Далелҳо" },
  noEvidence: { en: "No evidence.", ru: "Материалов нет.", tg: "Далел нест." },
  digest: { en: "SHA-256", ru: "SHA-256", tg: "SHA-256" },
  noDigest: { en: "a link; no file stored", ru: "ссылка; файл не хранится", tg: "пайванд; файл нигоҳ дошта намешавад" },
  close: { en: "Close", ru: "Закрыть", tg: "Пӯшидан" },
  live: { en: "Live: following changes.", ru: "В реальном времени: изменения отслеживаются.", tg: "Зинда: тағйирот пайгирӣ мешавад." },
  reconnecting: { en: "Live: reconnecting…", ru: "В реальном времени: переподключение…", tg: "Зинда: аз нав пайваст мешавад…" },
  refreshed: { en: "Updated at {time} after a change.", ru: "Обновлено в {time} после изменения.", tg: "Соати {time} пас аз тағйирот навсозӣ шуд." },
  failed: { en: "Could not load: {detail}", ru: "Не удалось загрузить: {detail}", tg: "Бор карда нашуд: {detail}" },
  docs: { en: "API reference", ru: "Справочник API", tg: "Маълумотномаи API" },
} satisfies Record<string, Record<Lang, string>>;

export type Word = keyof typeof words;

/** A word of the interface in lang, with {name} placeholders filled in. */
export function t(word: Word, lang: Lang, vars: Record<string, string | number> = {}): string {
  return words[word][lang].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ""));
}
