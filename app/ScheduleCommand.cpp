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

struct Options {
    QString config;
    QString forecastFile;
    QString deadline;
    QString now;
    QString zone;
    QString db;
    std::optional<double> durationS;
    bool json = false;
    bool help = false;
};

Options parseOptions(const QStringList &arguments)
{
    Options options;
    const QStringList valued{QStringLiteral("--forecast"), QStringLiteral("--deadline"), QStringLiteral("--duration-s"),
                             QStringLiteral("--zone"), QStringLiteral("--now"), QStringLiteral("--db")};
    for (int i = 0; i < arguments.size(); ++i) {
        QString arg = arguments[i];
        QString value;
        bool hasValue = false;
        const int equals = arg.indexOf(QLatin1Char('='));
        if (arg.startsWith(QStringLiteral("--")) && equals > 0) {
            value = arg.mid(equals + 1);
            arg = arg.left(equals);
            hasValue = true;
        }
        if (valued.contains(arg) && !hasValue) {
            if (i + 1 >= arguments.size())
                throw Error(QStringLiteral("%1 needs a value").arg(arg));
            value = arguments[++i];
        }
        if (arg == QStringLiteral("--json")) {
            options.json = true;
        } else if (arg == QStringLiteral("--help") || arg == QStringLiteral("-h")) {
            options.help = true;
        } else if (arg == QStringLiteral("--forecast")) {
            options.forecastFile = value;
        } else if (arg == QStringLiteral("--deadline")) {
            options.deadline = value;
        } else if (arg == QStringLiteral("--now")) {
            options.now = value;
        } else if (arg == QStringLiteral("--zone")) {
            options.zone = value;
        } else if (arg == QStringLiteral("--db")) {
            options.db = value;
        } else if (arg == QStringLiteral("--duration-s")) {
            bool ok = false;
            const double duration = value.toDouble(&ok);
            if (!ok || !std::isfinite(duration) || duration <= 0 || duration > kMaxHorizonS)
                throw Error(QStringLiteral("--duration-s: '%1' is not a positive number of seconds up to a year").arg(value));
            options.durationS = duration;
        } else if (arg.startsWith(QLatin1Char('-'))) {
            throw Error(QStringLiteral("unknown option %1").arg(arg));
        } else if (options.config.isEmpty()) {
            options.config = arg;
        } else {
            throw Error(QStringLiteral("schedule takes one config file, got '%1' and '%2'").arg(options.config, arg));
        }
    }
    return options;
}

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

int ScheduleCommand::execute(const QStringList &arguments, QTextStream &out, QTextStream &err, StartPlan *planOut)
{
    try {
        const Options options = parseOptions(arguments);
        if (options.help) {
            out << usage();
            return 0;
        }
        if (options.config.isEmpty())
            throw Error(QStringLiteral("schedule needs a run config file\n%1").arg(usage()));
        if (options.deadline.isEmpty())
            throw Error(QStringLiteral("--deadline is required: the latest end of the run, e.g. +12h or 2026-11-26T18:00Z"));

        const RunConfig config = RunConfig::fromFile(options.config);
        std::optional<double> durationS = options.durationS;
        QString durationOrigin = QStringLiteral("--duration-s");
        if (!durationS && !options.db.isEmpty()) {
            // The best prediction of a run's duration is the last time the same config ran.
            const Database store(options.db);
            durationS = RunRepository(store).lastCompletedDuration(QString::fromStdString(config.toJsonText(-1)));
            durationOrigin = QStringLiteral("the last completed run of this config in %1").arg(options.db);
        }
        if (!durationS)
            throw Error(QStringLiteral("no run duration: give --duration-s N, or --db FILE holding a completed run of this config"));
        QDateTime now = QDateTime::currentDateTimeUtc();
        if (!options.now.isEmpty()) {
            QString problem;
            now = CarbonForecast::parseTime(options.now, &problem);
            if (!now.isValid())
                throw Error(QStringLiteral("--now: %1").arg(problem));
        }
        // Whole seconds: a plan that prints times to the second should compute with them too.
        now = now.addMSecs(-(now.toMSecsSinceEpoch() % 1000));
        const QDateTime deadline = parseDeadline(options.deadline, now);

        CarbonIntensityProvider::Settings settings;
        settings.zone = options.zone;
        const CarbonIntensityProvider provider(settings);
        CarbonForecast forecast;
        if (!options.forecastFile.isEmpty()) {
            forecast = CarbonForecast::fromCsvFile(options.forecastFile);
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
        out << QStringLiteral("Config: %1 (country %2)\n").arg(options.config, country);
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
        if (options.json) {
            const QJsonObject object{
                {QStringLiteral("config"), options.config},
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
