#include "ScheduleCommand.h"

#include "Error.h"
#include "store/Database.h"
#include "store/RunRepository.h"
#include "carbon/CarbonForecast.h"
#include "carbon/CarbonIntensityProvider.h"
#include "carbon/GreenestStartPlanner.h"
#include "config/RunConfig.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTextStream>
#include <cmath>
#include <cstdio>
#include <optional>

namespace gw {

namespace {

/// How far ahead a deadline or a duration may reach: a year (366 days) in seconds.
constexpr double kMaxHorizonS = 366.0 * 86400.0;

/// An ISO 8601 time with a zone, or "+N" with a unit h, min (or m), s or d, counted from @p now.
QDateTime parseDeadline(const QString &text, const QDateTime &now)
{
    static const QRegularExpression relative(QStringLiteral(R"(^\+\s*(\d+(?:\.\d+)?)\s*(h|m|min|s|d)$)"));
    const QRegularExpressionMatch match = relative.match(text.trimmed());
    if (match.hasMatch()) {
        const double amount = match.captured(1).toDouble();
        const QString unit = match.captured(2);
        const double unitS = unit == QStringLiteral("d") ? 86400 : unit == QStringLiteral("h") ? 3600 : unit == QStringLiteral("s") ? 1 : 60;
        // Past this the arithmetic of times overflows; no forecast reaches that far anyway.
        if (!(amount * unitS <= kMaxHorizonS))
            throw Error(QStringLiteral("--deadline: '%1' is more than a year ahead").arg(text));
        return now.addMSecs(qint64(std::llround(amount * unitS * 1000.0)));
    }
    QString problem;
    const QDateTime time = CarbonForecast::parseTime(text, &problem);
    if (!time.isValid())
        throw Error(QStringLiteral("--deadline: %1 (or write +12h, +90min, +3600s, +1d)").arg(problem));
    if (now.secsTo(time) > qint64(kMaxHorizonS))
        throw Error(QStringLiteral("--deadline: '%1' is more than a year ahead").arg(text));
    return time;
}

QString describeStep(qint64 stepS)
{
    if (stepS % 3600 == 0)
        return QStringLiteral("%1 h").arg(stepS / 3600);
    if (stepS % 60 == 0)
        return QStringLiteral("%1 min").arg(stepS / 60);
    return QStringLiteral("%1 s").arg(stepS);
}

QString number(double value, int decimals)
{
    return QString::number(value, 'f', decimals);
}

} // namespace

QString ScheduleCommand::usage()
{
    return QStringLiteral(
        "Usage: green-workbench schedule CONFIG.json --deadline TIME [--duration-s N | --db FILE] [--forecast FILE.csv]\n"
        "                                [--zone ZONE] [--now TIME] [--json] [--run]\n"
        "  Finds the start time, between now and the deadline, with the lowest mean grid carbon\n"
        "  intensity over the run (assuming constant power), and what it saves over starting now.\n"
        "  --deadline TIME   the latest END of the run: ISO 8601 with a zone (2026-11-26T18:00Z)\n"
        "                    or relative to now: +12h, +90min, +3600s, +1d\n"
        "  --duration-s N    predicted run duration in seconds\n"
        "  --db FILE         without --duration-s: take the duration of the last completed run of this\n"
        "                    config in this store (and, with --run, store the run there)\n"
        "  --run             wait until the best start, then run the config (Ctrl+C cancels the wait)\n"
        "  --forecast FILE   CSV with header 'datetime,intensity_g_per_kwh', one row per step, ISO 8601\n"
        "                    times with a zone; without it, the Electricity Maps forecast for the\n"
        "                    config's energy.country (token: ELECTRICITYMAPS_TOKEN)\n"
        "  --zone ZONE       Electricity Maps zone instead of the one derived from energy.country\n"
        "  --now TIME        plan as if it were TIME (default: the current time)\n"
        "  --json            the last line on stdout is the plan as one JSON object\n");
}

int ScheduleCommand::execute(const QStringList &arguments)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    const int code = execute(arguments, out, err);
    out.flush();
    err.flush();
    return code;
}

CommandArguments ScheduleCommand::parse(const QStringList &arguments)
{
    CommandArguments args(QStringLiteral("schedule"),
                          {{QStringLiteral("--forecast"), QStringLiteral("FILE")}, {QStringLiteral("--deadline"), QStringLiteral("TIME")},
                           {QStringLiteral("--duration-s"), QStringLiteral("N")}, {QStringLiteral("--zone"), QStringLiteral("ZONE")},
                           {QStringLiteral("--now"), QStringLiteral("TIME")}, {QStringLiteral("--db"), QStringLiteral("FILE")},
                           {QStringLiteral("--json"), QString()}, {QStringLiteral("--run"), QString()}},
                          1);
    return args.parse(arguments);
}

int ScheduleCommand::execute(const QStringList &arguments, QTextStream &out, QTextStream &err, StartPlan *planOut)
{
    try {
        const CommandArguments args = parse(arguments);
        if (args.wantsHelp()) {
            out << usage();
            return 0;
        }
        const QString configFile = args.positional().value(0);
        const QString db = args.value(QStringLiteral("--db"));
        if (configFile.isEmpty())
            throw Error(QStringLiteral("schedule needs a run config file\n%1").arg(usage()));
        if (!args.has(QStringLiteral("--deadline")))
            throw Error(QStringLiteral("--deadline is required: the latest end of the run, e.g. +12h or 2026-11-26T18:00Z"));

        const RunConfig config = RunConfig::fromFile(configFile);
        std::optional<double> durationS;
        if (args.has(QStringLiteral("--duration-s"))) {
            bool ok = false;
            const QString text = args.value(QStringLiteral("--duration-s"));
            durationS = text.toDouble(&ok);
            if (!ok || !std::isfinite(*durationS) || *durationS <= 0 || *durationS > kMaxHorizonS)
                throw Error(QStringLiteral("--duration-s: '%1' is not a positive number of seconds up to a year").arg(text));
        }
        QString durationOrigin = QStringLiteral("--duration-s");
        if (!durationS && !db.isEmpty()) {
            // The best prediction of a run's duration is the last time the same config ran.
            const Database store(db);
            durationS = RunRepository(store).lastCompletedDuration(QString::fromStdString(config.toJsonText(-1)));
            durationOrigin = QStringLiteral("the last completed run of this config in %1").arg(db);
        }
        if (!durationS)
            throw Error(QStringLiteral("no run duration: give --duration-s N, or --db FILE holding a completed run of this config"));
        QDateTime now = QDateTime::currentDateTimeUtc();
        if (args.has(QStringLiteral("--now"))) {
            QString problem;
            now = CarbonForecast::parseTime(args.value(QStringLiteral("--now")), &problem);
            if (!now.isValid())
                throw Error(QStringLiteral("--now: %1").arg(problem));
        }
        // Whole seconds: a plan that prints times to the second should compute with them too.
        now = now.addMSecs(-(now.toMSecsSinceEpoch() % 1000));
        const QDateTime deadline = parseDeadline(args.value(QStringLiteral("--deadline")), now);

        CarbonIntensityProvider::Settings settings;
        settings.zone = args.value(QStringLiteral("--zone"));
        const CarbonIntensityProvider provider(settings);
        CarbonForecast forecast;
        if (args.has(QStringLiteral("--forecast"))) {
            forecast = CarbonForecast::fromCsvFile(args.value(QStringLiteral("--forecast")));
        } else {
            try {
                forecast = provider.forecast(config.energy.country);
            } catch (const Error &e) {
                throw Error(QStringLiteral("%1\n(give a forecast file with --forecast FILE.csv)").arg(e.message()));
            }
        }

        const StartPlan plan = GreenestStartPlanner::plan(forecast, *durationS, now, deadline);
        if (planOut)
            *planOut = plan;
        const double delayS = plan.delayS(now);
        const QString country = config.energy.country.isEmpty() ? QStringLiteral("none (world)") : config.energy.country;
        out << QStringLiteral("Config: %1 (country %2)\n").arg(configFile, country);
        out << QStringLiteral("Forecast: %1, %2 values every %3, %4 to %5\n")
                   .arg(forecast.origin())
                   .arg(forecast.points().size())
                   .arg(describeStep(forecast.stepS()), CarbonForecast::formatTime(forecast.startUtc()), CarbonForecast::formatTime(forecast.endUtc()));
        out << QStringLiteral("Run: %1 s (from %4), now %2, deadline (latest end) %3\n")
                   .arg(number(plan.durationS, 0), CarbonForecast::formatTime(plan.nowUtc), CarbonForecast::formatTime(plan.deadlineUtc),
                        durationOrigin);
        out << QStringLiteral("Best start: %1 (%2)\n").arg(CarbonForecast::formatTime(plan.bestStartUtc), StartPlan::describeDelay(delayS));
        out << QStringLiteral("Mean intensity if started then: %1 g CO2e/kWh\n").arg(number(plan.bestMeanIntensityGPerKwh, 1));
        out << QStringLiteral("Mean intensity if started now:  %1 g CO2e/kWh\n").arg(number(plan.nowMeanIntensityGPerKwh, 1));
        out << QStringLiteral("Saving: %1 g CO2e/kWh (%2%)\n").arg(number(plan.savingGPerKwh, 1), number(plan.savingPercent, 1));
        if (args.has(QStringLiteral("--json"))) {
            const QJsonObject object{
                {QStringLiteral("config"), configFile},
                {QStringLiteral("country"), config.energy.country},
                {QStringLiteral("forecast_origin"), forecast.origin()},
                {QStringLiteral("forecast_step_s"), double(forecast.stepS())},
                {QStringLiteral("now"), CarbonForecast::formatTime(plan.nowUtc)},
                {QStringLiteral("deadline"), CarbonForecast::formatTime(plan.deadlineUtc)},
                {QStringLiteral("duration_s"), plan.durationS},
                {QStringLiteral("best_start"), CarbonForecast::formatTime(plan.bestStartUtc)},
                {QStringLiteral("delay_s"), delayS},
                {QStringLiteral("best_mean_intensity_g_per_kwh"), plan.bestMeanIntensityGPerKwh},
                {QStringLiteral("now_mean_intensity_g_per_kwh"), plan.nowMeanIntensityGPerKwh},
                {QStringLiteral("saving_g_per_kwh"), plan.savingGPerKwh},
                {QStringLiteral("saving_percent"), plan.savingPercent},
            };
            out << QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact)) << '\n';
        }
        return 0;
    } catch (const Error &e) {
        err << QStringLiteral("green-workbench schedule: %1\n").arg(e.message());
        return 2;
    }
}

} // namespace gw
