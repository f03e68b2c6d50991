package synthetic

// Parallel English and Russian phrases the titles and narratives are built from: the same
// index says the same thing in both languages, so search finds a measure by an English or a
// Russian word of its title.
type phrase struct{ en, ru string }

var verbs = []phrase{
	{"Strengthen", "Укрепить"}, {"Expand", "Расширить"}, {"Introduce", "Внедрить"},
	{"Review", "Пересмотреть"}, {"Simplify", "Упростить"}, {"Develop", "Разработать"},
	{"Monitor", "Обеспечить мониторинг"}, {"Fund", "Профинансировать"}, {"Digitize", "Перевести в цифровой формат"},
	{"Coordinate", "Скоординировать"}, {"Publish", "Опубликовать"}, {"Train staff on", "Обучить персонал по вопросам"},
}

var objects = []phrase{
	{"pre-departure orientation", "предвыездную подготовку"},
	{"consular protection", "консульскую защиту"},
	{"registration of labour contracts", "регистрацию трудовых договоров"},
	{"recognition of qualifications", "признание квалификаций"},
	{"remittance channels", "каналы денежных переводов"},
	{"legal aid", "юридическую помощь"},
	{"reintegration services", "услуги по реинтеграции"},
	{"labour inspection", "трудовую инспекцию"},
	{"statistics on labour migration", "статистику трудовой миграции"},
	{"identification of trafficking victims", "выявление жертв торговли людьми"},
	{"school enrolment of migrant children", "зачисление детей мигрантов в школы"},
	{"pension portability", "перенос пенсионных прав"},
	{"health insurance coverage", "охват медицинским страхованием"},
	{"complaint mechanisms", "механизмы рассмотрения жалоб"},
	{"licensing of recruitment agencies", "лицензирование агентств по найму"},
	{"language courses", "языковые курсы"},
}

var groups = []phrase{
	{"labour migrants", "трудовых мигрантов"},
	{"women migrant workers", "женщин-мигрантов"},
	{"returning migrants", "возвращающихся мигрантов"},
	{"families of migrants", "семей мигрантов"},
	{"migrant children", "детей мигрантов"},
	{"seasonal workers", "сезонных работников"},
	{"stateless persons", "лиц без гражданства"},
	{"young jobseekers", "молодых соискателей"},
}

var regions = []phrase{
	{"Dushanbe", "Душанбе"}, {"Sughd", "Согде"}, {"Khatlon", "Хатлоне"},
	{"Gorno-Badakhshan", "Горно-Бадахшане"}, {"Rasht valley", "Раштской долине"},
	{"border districts", "приграничных районах"}, {"every region", "всех регионах"},
}

var domains = []phrase{
	{"Labour", "труда"}, {"Migration", "миграции"}, {"Health", "здравоохранения"},
	{"Education", "образования"}, {"Foreign Affairs", "иностранных дел"}, {"Justice", "юстиции"},
	{"Internal Affairs", "внутренних дел"}, {"Finance", "финансов"}, {"Social Protection", "социальной защиты"},
	{"Statistics", "статистики"},
}

var sections = []string{"General measures of implementation", "Human rights of all migrant workers",
	"Other rights of migrant workers in a regular situation", "Promotion of sound conditions",
	"Return and reintegration", "Trafficking in persons"}

var themes = []string{"labour_migration", "social_protection", "return_reintegration", "trafficking",
	"consular_protection", "data_statistics", "legal_framework", "family_members", "children", "gender"}

var challenges = []phrase{
	{"Funding arrived late.", "Финансирование поступило с опозданием."},
	{"Staff turnover in the regions.", "Текучесть кадров в регионах."},
	{"Data from partner agencies is incomplete.", "Данные партнёрских ведомств неполны."},
	{"Coordination with local authorities took longer than planned.", "Согласование с местными органами заняло больше времени, чем планировалось."},
}

var nextSteps = []phrase{
	{"Extend the work to two more districts.", "Распространить работу ещё на два района."},
	{"Publish the results on the ministry's website.", "Опубликовать результаты на сайте министерства."},
	{"Agree the budget for the next year.", "Согласовать бюджет на следующий год."},
	{"Train the remaining regional staff.", "Обучить оставшийся региональный персонал."},
}

var milestones = []string{"Draft regulation prepared", "Regulation under inter-agency review",
	"Regulation adopted", "Pilot running in one region", "Service available nationwide"}
