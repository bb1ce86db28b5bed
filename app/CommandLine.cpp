#include "CommandLine.h"
#include "CommandArguments.h"

#include "Error.h"
#include "PretrainCommand.h"
#include "WorkerCommand.h"
#include "ScheduleCommand.h"
#include "TerminalLabeling.h"
#include "WorkbenchSettings.h"
#include "extension/PluginManager.h"
#include "activelearning/InteractiveOracle.h"
#include "activelearning/LabelTransfer.h"
#include "carbon/GreenestStartPlanner.h"
#include "report/CodeCarbonCsv.h"
#include "report/ModelCard.h"
#include "report/RunJson.h"
#include "report/RunReportBuilder.h"
#include "config/RunConfig.h"
#include "config/RunParameters.h"
#include "util/CsvTable.h"
#include "util/Files.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "jobs/RunPrediction.h"
#include "models/TorchRuntime.h"
#include "store/Database.h"
#include "store/LabelRepository.h"
#include "store/ArtifactRepository.h"
#include "store/RunRepository.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSettings>
#include <QStandardPaths>
#include <QTextStream>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <atomic>
#include <limits>
#include <optional>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace gw {

namespace {

std::atomic_bool interruptRequested{false};

void onInterrupt(int)
{
    interruptRequested.store(true);
}

/// While alive, Ctrl+C, kill (SIGTERM) and a closed terminal (SIGHUP) ask the run to stop cleanly
/// (stored as cancelled) instead of ending the process with the run left behind.
class StopSignals {
public:
    StopSignals()
    {
        for (int s : kSignals)
            std::signal(s, onInterrupt);
        // A reader that went away (`| head`, a closed terminal) makes writes fail, not the run die.
        std::signal(SIGPIPE, SIG_IGN);
    }
    ~StopSignals()
    {
        for (int s : kSignals)
            std::signal(s, SIG_DFL);
        std::signal(SIGPIPE, SIG_DFL);
    }
    StopSignals(const StopSignals &) = delete;
    StopSignals &operator=(const StopSignals &) = delete;

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
};

void printOut(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stdout);
    std::fflush(stdout);
}

void printErr(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stderr);
    std::fflush(stderr);
}

const CommandArguments::Option kDb{QStringLiteral("--db"), QStringLiteral("FILE")};
const CommandArguments::Option kJson{QStringLiteral("--json"), QString()};

/// The store a command works on: --db FILE, or the default one.
QString databaseOf(const CommandArguments &args)
{
    return args.value(QStringLiteral("--db"), CommandLine::defaultDatabasePath());
}

/// A run that reached its end (all its work, its budget or its green stop): exit 0, nothing to resume.
bool endedWell(const QString &status)
{
    return status == QStringLiteral("completed") || status == QStringLiteral("budget_reached") || status == QStringLiteral("converged_green");
}

/// --output FILE: "-" is standard output; anything else must be a file AtomicFile may replace.
bool toStandardOutput(const QString &output)
{
    if (output == QStringLiteral("-"))
        return true;
    try {
        AtomicFile::requireWritableTarget(output);
    } catch (const Error &e) {
        throw Error(e.message() + QStringLiteral(" (--output - writes to standard output)"));
    }
    return false;
}

void writeOut(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

qint64 requireRunId(const QString &text, const char *command)
{
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok)
        throw Error(QStringLiteral("%1 needs --run ID (a run id from 'green-workbench runs')").arg(QLatin1String(command)));
    return id;
}

QString progressBar(double fraction, const QString &message)
{
    constexpr int width = 30;
    const int filled = int(fraction * width + 0.5);
    return QStringLiteral("\r[%1%2] %3% %4\x1b[K")
        .arg(QString(filled, QLatin1Char('#')), QString(width - filled, QLatin1Char('.')))
        .arg(int(fraction * 100), 3)
        .arg(message);
}

QString formatNumber(const std::optional<double> &value, int decimals, double scale = 1)
{
    return value ? QString::number(*value * scale, 'f', decimals) : QStringLiteral("-");
}

} // namespace

const std::vector<CommandLine::Subcommand> &CommandLine::subcommands()
{
    // One table: what makes the binary headless, what it dispatches to, which have usages of their own.
    static const std::vector<Subcommand> table = {
        {QStringLiteral("run"), [](const QStringList &a) { return run(a); }, false},
        {QStringLiteral("runs"), &CommandLine::listRuns, false},
        {QStringLiteral("export"), &CommandLine::exportRun, false},
        {QStringLiteral("schedule"), &CommandLine::schedule, true},
        {QStringLiteral("labels"), &CommandLine::labels, false},
        {QStringLiteral("plugins"), &CommandLine::plugins, false},
        {QStringLiteral("artifacts"), &CommandLine::artifacts, false},
        {QStringLiteral("pretrain"), &PretrainCommand::execute, true},
        {QStringLiteral("worker"), &WorkerCommand::execute, true},
    };
    return table;
}

bool CommandLine::wantsHeadless(const QStringList &arguments)
{
    if (arguments.isEmpty())
        return false;
    const QString first = arguments.first();
    const auto &table = subcommands();
    return std::any_of(table.begin(), table.end(), [&first](const Subcommand &s) { return s.name == first; }) ||
           QStringList{QStringLiteral("--version"), QStringLiteral("-v"), QStringLiteral("--help"), QStringLiteral("-h"), QStringLiteral("help")}.contains(first);
}

QString CommandLine::defaultDatabasePath()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dir);
    return QDir(dir).filePath(QStringLiteral("workbench.sqlite"));
}

void CommandLine::loadPlugins()
{
    const QSettings settings;
    PluginManager::instance().setDisabled(WorkbenchSettings::load(settings).disabledPlugins);
    PluginManager::instance().load(PluginManager::defaultSearchPaths());
}

QString CommandLine::usage()
{
    return QStringLiteral(
        "Usage:\n"
        "  green-workbench [--db FILE] [--start CONFIG.json]   open the workbench window\n"
        "  green-workbench run [CONFIG.json | --resume RUN_ID] [--db FILE] [--json]\n"
        "                       run a job headless (no CONFIG: the embedded default);\n"
        "                       with --json the last line on stdout is the run's summary\n"
        "                       --label-stdin: a person answers an active-learning run's queries on stdin\n"
        "                       --KEY=VALUE: any run parameter over the config's (e.g. --training.epochs=3);\n"
        "                       --parameters lists them; --print-config / --save-config FILE: the resulting\n"
        "                       config instead of running it\n"
        "  green-workbench runs [--db FILE] [--json]            list stored runs\n"
        "  green-workbench labels export --run ID [--format csv|json] [--output FILE] [--db FILE]\n"
        "                       the labels of an active-learning run, for active_learning.import_labels\n"
        "  green-workbench export --run ID --format codecarbon|modelcard|json|model [--db FILE] [--output FILE]\n"
        "                       CodeCarbon emissions.csv (appended; default ./emissions.csv),\n"
        "                       Hugging Face model card or JSON (default: stdout); --output - is stdout;\n"
        "                       model: the run's trained model (FILE.safetensors, else TorchScript), hash-checked;\n"
        "                       --role \"variant NAME\": a compress run's variant instead\n"
        "  green-workbench artifacts [--run ID] [--db FILE] [--json]\n"
        "                       the models runs kept (format, size, SHA-256, parameters, file)\n"
        "  green-workbench schedule CONFIG.json --deadline TIME [--forecast FILE.csv] [--duration-s N]\n"
        "                       [--db FILE] [--run] [--json]   start at the greenest time before the deadline\n"
        "  green-workbench pretrain [--epochs N] [--output FILE.safetensors] [--db FILE] [--json] ...\n"
        "                       pretrain the bundled backbone without labels; writes weights and model card\n"
        "  green-workbench worker --coordinator HOST:PORT --token-file FILE [--name NAME] [--data PATH] [--db FILE]\n"
        "                       join a federated run across hosts (backend \"hosts\") as one of its workers\n"
        "  green-workbench plugins [--json] [--disable ID | --enable ID]\n"
        "                       the plugins found, their state (loaded, disabled, failed: why) and the kinds\n"
        "                       of run they add; --disable/--enable keep the choice in the settings\n"
        "  green-workbench --version\n"
        "Default store: %1\n")
        .arg(defaultDatabasePath());
}

int CommandLine::execute(const QStringList &arguments)
{
    const QString command = arguments.value(0);
    try {
        if (command == QStringLiteral("--version") || command == QStringLiteral("-v")) {
            printOut(QStringLiteral("green-workbench %1 (Qt %2, LibTorch %3)\n").arg(QStringLiteral(GW_VERSION), QString::fromLatin1(qVersion()), TorchRuntime::version()));
            return 0;
        }
        const bool wantsHelp = arguments.contains(QStringLiteral("--help")) || arguments.contains(QStringLiteral("-h"));
        for (const Subcommand &subcommand : subcommands()) {
            if (subcommand.name != command)
                continue;
            if (wantsHelp && !subcommand.ownUsage)
                break;
            return subcommand.execute(arguments.mid(1));
        }
        printOut(usage());
        return 0;
    } catch (const Error &e) {
        printErr(QStringLiteral("green-workbench: %1\n").arg(e.message()));
        return 2;
    }
}

int CommandLine::run(const QStringList &arguments, const StartPlan *startPlan)
{
    CommandArguments args(QStringLiteral("run"),
                          {kDb, kJson, {QStringLiteral("--label-stdin"), QString()}, {QStringLiteral("--parameters"), QString()},
                           {QStringLiteral("--print-config"), QString()}, {QStringLiteral("--save-config"), QStringLiteral("FILE")},
                           {QStringLiteral("--resume"), QStringLiteral("RUN_ID")}},
                          1);
    args.acceptingRunParameters().parse(arguments);
    const QString saveConfig = args.value(QStringLiteral("--save-config"));
    const qint64 resume = args.integer(QStringLiteral("--resume"), 0, 1);
    if (args.has(QStringLiteral("--parameters"))) {
        printOut(QStringLiteral("Run parameters (the keys of a run config; on the command line --KEY=VALUE overrides the config):\n\n") +
                 RunParameters::describe());
        return 0;
    }
    const QString db = databaseOf(args);
    RunConfig config;
    qint64 resumeFrom = 0;
    if (resume > 0) {
        if (!args.positional().isEmpty())
            throw Error(QStringLiteral("--resume takes the config stored with the run; give no config file"));
        // The run's own stored config, so the resumed part trains exactly what the first part did.
        const Database store(db);
        const RunRecord record = resumableRun(RunRepository(store), resume);
        resumeFrom = record.id;
        config = RunConfig::fromJsonText(record.paramsJson.toStdString(), QStringLiteral("run %1 in %2").arg(record.id).arg(db));
    } else {
        const QString file = args.positional().value(0, defaultConfigPath());
        nlohmann::json root = RunConfig::parseJson(readWholeFile(file).toStdString(), file);
        for (const auto &[key, value] : args.assignments())
            RunParameters::overrideInJson(root, key, value, QStringLiteral("--%1").arg(key));
        config = RunConfig::fromJson(root, args.assignments().isEmpty() ? file : QStringLiteral("%1 with its command-line options").arg(file));
    }
    if (resume > 0 && !args.assignments().isEmpty())
        throw Error(QStringLiteral("--resume reruns the stored config as it was; it takes no --KEY=VALUE options"));
    if (!saveConfig.isEmpty()) {
        if (toStandardOutput(saveConfig))
            throw Error(QStringLiteral("--save-config needs a file name; --print-config writes to standard output"));
        config.save(saveConfig);
        printErr(QStringLiteral("config saved to %1\n").arg(saveConfig));
    }
    if (args.has(QStringLiteral("--print-config")) || !saveConfig.isEmpty()) {
        if (args.has(QStringLiteral("--print-config")))
            printOut(QString::fromStdString(config.toJsonText() + "\n"));
        return 0;
    }

    // Opened here first, so a store that cannot be opened is a clear error (exit 2) before any run starts.
    { const Database store(db); }
    // A person at the terminal answers the queries; without --label-stdin a "human" run says who is missing.
    InteractiveOracle oracle(qEnvironmentVariable("USER", QStringLiteral("terminal")));
    TerminalLabeling terminal(oracle);
    const bool labelStdin = args.has(QStringLiteral("--label-stdin"));
    const auto setup = [resumeFrom, labelStdin, &oracle](RunJob &job) {
        if (resumeFrom > 0)
            job.setResumeFrom(resumeFrom);
        if (labelStdin)
            job.attach(InteractiveOracle::attachmentName(), &oracle);
    };
    if (labelStdin) {
        // Nobody can answer after the end of input: the run stops as cancelled (it can be resumed).
        QObject::connect(&terminal, &TerminalLabeling::inputEnded, qApp, [] {
            printErr(QStringLiteral("note: standard input ended; stopping the run (acknowledged labels are stored; "
                                    "run --resume continues it)\n"));
            interruptRequested.store(true);
        }, Qt::DirectConnection);
        terminal.start();
    }
    const RunSummary summary = runInForeground(config, db, setup, startPlan);
    if (args.has(QStringLiteral("--json")))
        printOut(QString::fromUtf8(QJsonDocument(summary.toJson()).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
    return exitCode(summary);
}

RunRecord CommandLine::resumableRun(const RunRepository &repository, qint64 runId)
{
    std::optional<RunRecord> record = repository.run(runId);
    if (!record)
        throw Error(QStringLiteral("%1: there is no run %2 to resume").arg(repository.database().path()).arg(runId));
    // A run resumed before goes on where its latest continuation stopped, never twice from the same point.
    for (int hops = 0; hops < 1000; ++hops) {
        const qint64 next = repository.resumedAs(record->id);
        if (next <= 0)
            break;
        printErr(QStringLiteral("run %1 was resumed as run %2; continuing run %2\n").arg(record->id).arg(next));
        record = repository.run(next);
    }
    const QString status = record->status;
    if (status == QStringLiteral("running"))
        throw Error(QStringLiteral("run %1 is still running (its process is alive); it can be resumed once it has stopped").arg(record->id));
    if (endedWell(status))
        throw Error(QStringLiteral("run %1 ended as %2: there is nothing to resume (start its config again as a new run instead)")
                        .arg(record->id)
                        .arg(status));
    return *record;
}

int CommandLine::exitCode(const RunSummary &summary)
{
    if (endedWell(summary.status))
        return 0;
    return summary.status == QStringLiteral("cancelled") ? 130 : 1;
}

RunSummary CommandLine::runInForeground(const RunConfig &config, const QString &db, const RunQueue::JobSetup &setup, const StartPlan *startPlan)
{
    const bool showBar = isatty(STDERR_FILENO);
    RunQueue queue;
    RunSummary summary;
    QObject::connect(&queue, &RunQueue::waiting, qApp, [](int, double delayS, const StartPlan &plan) {
        if (delayS > 0)
            printErr(QStringLiteral("\rwaiting %1 s for the greenest start (%2 g/kWh instead of %3 now)\x1b[K")
                         .arg(qint64(delayS))
                         .arg(plan.bestMeanIntensityGPerKwh, 0, 'f', 1)
                         .arg(plan.nowMeanIntensityGPerKwh, 0, 'f', 1));
        else
            printErr(QStringLiteral("\rstarting now: expected saving %1 g/kWh (%2 %) over starting at the time it was scheduled\x1b[K\n")
                         .arg(plan.savingGPerKwh, 0, 'f', 1)
                         .arg(plan.savingPercent, 0, 'f', 1));
    });
    QObject::connect(&queue, &RunQueue::started, qApp, [showBar, db](int, RunJob *job) {
        QObject::connect(job, &RunJob::progressed, qApp, [showBar](double fraction, const QString &message) {
            if (showBar)
                printErr(progressBar(fraction, message));
        });
        QObject::connect(job, &RunJob::runCreated, qApp, [db](qint64 id) {
            printErr(QStringLiteral("run %1 started; store: %2\n").arg(id).arg(db));
        });
        QObject::connect(job, &RunJob::stepFinished, qApp, [showBar](const QVariantMap &step) {
            if (step.value(QStringLiteral("detail")).toBool())
                return; // a part's figures (a client's): in the summary and the store, too many for lines
            QStringList figures;
            for (const QVariant &name : step.value(QStringLiteral("names")).toList())
                figures << QStringLiteral("%1 %2").arg(name.toString().replace(QLatin1Char('_'), QLatin1Char(' ')))
                               .arg(step.value(name.toString()).toDouble(), 0, 'g', 5);
            const qint64 steps = step.value(QStringLiteral("steps")).toLongLong();
            const QString scope = step.value(QStringLiteral("scope")).toString();
            printErr(QStringLiteral("%1%2%3 %4%5: %6\n")
                         .arg(showBar ? QStringLiteral("\r\x1b[K") : QString(), scope.isEmpty() ? QString() : scope + QStringLiteral(", "),
                              step.value(QStringLiteral("noun")).toString())
                         .arg(step.value(QStringLiteral("step")).toLongLong())
                         .arg(steps > 0 ? QStringLiteral(" of %1").arg(steps) : QString(), figures.join(QStringLiteral(", "))));
        });
        QObject::connect(job, &RunJob::noticed, qApp, [showBar](const QString &message) {
            printErr(QStringLiteral("%1note: %2\n").arg(showBar ? QStringLiteral("\r\x1b[K") : QString(), message));
        });
        QObject::connect(job, &RunJob::predicted, qApp, [showBar, lastShownKwh = std::make_shared<double>(0)](const QVariantMap &p) {
            // The first prediction, then those that moved by a tenth or more; the GUI shows every one.
            const double kwh = p.value(QStringLiteral("energy_kwh")).toDouble();
            if (*lastShownKwh > 0 && std::abs(kwh - *lastShownKwh) < 0.1 * *lastShownKwh)
                return;
            *lastShownKwh = kwh;
            printErr(QStringLiteral("%1%2\n").arg(showBar ? QStringLiteral("\r\x1b[K") : QString(), RunPrediction::describe(p)));
        });
    });
    QObject::connect(&queue, &RunQueue::finished, qApp, [&summary](int, const RunSummary &s) {
        summary = s;
        QCoreApplication::quit();
    });
    bool started = true;
    QObject::connect(&queue, &RunQueue::dropped, qApp, [&summary, &started](int, const QString &reason) {
        started = false;
        summary.status = QStringLiteral("cancelled");
        summary.error = QStringLiteral("%1; the run was not started").arg(reason.toLower());
        QCoreApplication::quit();
    });

    // Ctrl+C cancels the run cleanly (it is stored as cancelled), or the wait for its start,
    // instead of killing the process.
    interruptRequested.store(false);
    const StopSignals stopSignals;
    QTimer interruptPoll;
    int id = 0;
    QObject::connect(&interruptPoll, &QTimer::timeout, qApp, [&queue, &id] {
        if (interruptRequested.exchange(false))
            queue.cancel(id);
    });
    interruptPoll.start(100);
    id = startPlan ? queue.submitAt(config, db, *startPlan, setup) : queue.submit(config, db, setup);
    QCoreApplication::exec();

    if (showBar)
        printErr(QStringLiteral("\r\x1b[K"));
    if (!started) {
        printErr(QStringLiteral("\n%1\n").arg(summary.error));
        return summary;
    }
    printErr(QStringLiteral("run %1 %2: accuracy %3, %4 kWh (%5), %6 g CO2e at %7 g/kWh [%8]%9\n")
                 .arg(summary.runId)
                 .arg(summary.status)
                 .arg(summary.accuracyEvaluated ? QString::number(summary.accuracy, 'f', 4) : QStringLiteral("-"))
                 .arg(summary.energyKwh, 0, 'g', 4)
                 .arg(summary.energySource)
                 .arg(summary.emissionsG, 0, 'f', 4)
                 .arg(summary.intensityGPerKwh, 0, 'f', 1)
                 .arg(summary.intensityOrigin)
                 .arg(summary.error.isEmpty() ? QString() : QStringLiteral("\nerror: ") + summary.error));
    return summary;
}

int CommandLine::exportRun(const QStringList &arguments)
{
    CommandArguments args(QStringLiteral("export"), {kDb, {QStringLiteral("--run"), QStringLiteral("ID")}, {QStringLiteral("--format"), QStringLiteral("FORMAT")},
                                                     {QStringLiteral("--output"), QStringLiteral("FILE")}, {QStringLiteral("--role"), QStringLiteral("ROLE")}});
    args.parse(arguments);
    const QString format = args.value(QStringLiteral("--format")), output = args.value(QStringLiteral("--output"));
    const qint64 id = requireRunId(args.value(QStringLiteral("--run")), "export");
    const QStringList formats{QStringLiteral("codecarbon"), QStringLiteral("modelcard"), QStringLiteral("json"), QStringLiteral("model")};
    if (!formats.contains(format))
        throw Error(QStringLiteral("--format must be one of %1").arg(formats.join(QStringLiteral(", "))));
    if (format == QStringLiteral("model"))
        return exportModel(id, args.has(QStringLiteral("--role")) ? args.value(QStringLiteral("--role")) : QStringLiteral("model"), output, databaseOf(args));

    const Database db(databaseOf(args));
    const RunReport report = RunReportBuilder::fromStore(RunRepository(db), id, db.path());
    const bool toStdout = output.isEmpty() ? format != QStringLiteral("codecarbon") : toStandardOutput(output);
    if (format == QStringLiteral("codecarbon")) {
        if (toStdout) {
            writeOut(CodeCarbonCsv::withRowAppended(QByteArray(), report, QStringLiteral("standard output")));
            return 0;
        }
        const QString path = output.isEmpty() ? QStringLiteral("emissions.csv") : output;
        CodeCarbonCsv::append(report, path);
        // CodeCarbon's 38 columns have no place for provenance; say it where a person reads it.
        printErr(QStringLiteral("run %1 appended to %2 (energy %3: cpu %4, gpu %5, ram %6; tracking_mode %7)\n")
                     .arg(id)
                     .arg(path, report.energySource, report.cpuSource.isEmpty() ? QStringLiteral("-") : report.cpuSource,
                          report.gpuSource.isEmpty() ? QStringLiteral("-") : report.gpuSource,
                          report.ramSource.isEmpty() ? QStringLiteral("-") : report.ramSource, CodeCarbonCsv::trackingMode(report)));
        return 0;
    }
    if (format == QStringLiteral("modelcard")) {
        if (toStdout)
            printOut(ModelCard::render(report));
        else
            ModelCard::write(report, output);
        return 0;
    }
    if (toStdout)
        printOut(QString::fromUtf8(QJsonDocument(RunJson::toJson(report)).toJson(QJsonDocument::Indented)));
    else
        RunJson::write(report, output);
    return 0;
}

int CommandLine::labels(const QStringList &arguments)
{
    if (arguments.value(0) != QStringLiteral("export"))
        throw Error(QStringLiteral("labels knows one action: labels export --run ID [--format csv|json] [--output FILE]"));
    CommandArguments args(QStringLiteral("labels export"), {kDb, {QStringLiteral("--run"), QStringLiteral("ID")}, {QStringLiteral("--format"), QStringLiteral("csv|json")},
                                                            {QStringLiteral("--output"), QStringLiteral("FILE")}});
    args.parse(arguments.mid(1));
    const qint64 id = requireRunId(args.value(QStringLiteral("--run")), "labels export");
    const QString output = args.value(QStringLiteral("--output"));
    const bool toStdout = output.isEmpty() || toStandardOutput(output);
    const QString format = args.value(QStringLiteral("--format"), output.endsWith(QStringLiteral(".json")) ? QStringLiteral("json") : QStringLiteral("csv"));
    const Database db(databaseOf(args));
    if (!RunRepository(db).run(id))
        throw Error(QStringLiteral("%1: there is no run %2").arg(db.path()).arg(id));
    const LabelRepository repository(db);
    const QMap<qint64, LabelRecord> current = repository.current(id);
    const QByteArray bytes = LabelTransfer::write(std::vector<LabelRecord>(current.cbegin(), current.cend()), repository.classNames(id), format);
    if (toStdout) {
        writeOut(bytes);
    } else {
        AtomicFile::writeWhole(output, bytes, QStringLiteral("the labels"));
        printErr(QStringLiteral("%1 labels of run %2 written to %3\n").arg(current.size()).arg(id).arg(output));
    }
    return 0;
}

int CommandLine::schedule(const QStringList &arguments)
{
    StartPlan plan;
    QTextStream out(stdout), err(stderr);
    const int code = ScheduleCommand::execute(arguments, out, err, &plan);
    out.flush();
    err.flush();
    if (code != 0)
        return code;
    const CommandArguments args = ScheduleCommand::parse(arguments);
    if (!args.has(QStringLiteral("--run")) || args.wantsHelp())
        return 0;
    // The run waits for its greenest start (Ctrl+C cancels the wait), then runs as `run` would,
    // with the schedule's config, store and --json.
    return run(args.positional() + args.reassemble({QStringLiteral("--db"), QStringLiteral("--json")}), &plan);
}

int CommandLine::exportModel(qint64 runId, const QString &role, const QString &output, const QString &db)
{
    if (output.isEmpty() || toStandardOutput(output))
        throw Error(QStringLiteral("--format model needs --output FILE (FILE.safetensors for the weights, any other name for TorchScript)"));
    const Database store(db);
    if (!RunRepository(store).run(runId))
        throw Error(QStringLiteral("%1: there is no run %2").arg(db).arg(runId));
    const QString format = output.endsWith(QStringLiteral(".safetensors"), Qt::CaseInsensitive) ? QStringLiteral("safetensors") : QStringLiteral("torchscript");
    const std::optional<ArtifactRecord> artifact = ArtifactRepository(store).find(runId, role, format);
    if (!artifact)
        throw Error(QStringLiteral("%1: run %2 kept no %3 as %4 (green-workbench artifacts --run %2 lists what it kept)").arg(db).arg(runId).arg(role, format));
    const QString file = ArtifactRepository::verifiedPath(*artifact, Database::cacheDirectoryOf(db));
    AtomicFile::writeWhole(output, readWholeFile(file, std::numeric_limits<qint64>::max()), QStringLiteral("the model"));
    printErr(QStringLiteral("run %1's %2 (%3, %4 parameters, SHA-256 %5) written to %6\n")
                 .arg(runId)
                 .arg(role, format)
                 .arg(artifact->parameters)
                 .arg(artifact->sha256.left(16), output));
    return 0;
}

int CommandLine::artifacts(const QStringList &arguments)
{
    CommandArguments args(QStringLiteral("artifacts"), {kDb, kJson, {QStringLiteral("--run"), QStringLiteral("ID")}});
    args.parse(arguments);
    const qint64 runId = args.has(QStringLiteral("--run")) ? requireRunId(args.value(QStringLiteral("--run")), "artifacts") : 0;
    const Database store(databaseOf(args));
    const QString cache = Database::cacheDirectoryOf(store.path());
    const QList<ArtifactRecord> list = ArtifactRepository(store).list(runId);
    if (args.has(QStringLiteral("--json"))) {
        QJsonArray array;
        for (const ArtifactRecord &a : list)
            array.append(QJsonObject{{QStringLiteral("run_id"), a.runId},
                                     {QStringLiteral("role"), a.role},
                                     {QStringLiteral("format"), a.format},
                                     {QStringLiteral("path"), QDir(cache).filePath(a.path)},
                                     {QStringLiteral("bytes"), a.bytes},
                                     {QStringLiteral("sha256"), a.sha256},
                                     {QStringLiteral("parameters"), a.parameters},
                                     {QStringLiteral("created_at"), a.createdAt.toString(Qt::ISODateWithMs)}});
        printOut(QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
        return 0;
    }
    int roleWidth = 6; // "model", or a compress run's "variant 2-quantize"
    for (const ArtifactRecord &a : list)
        roleWidth = std::max(roleWidth, int(a.role.size()));
    printOut(QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                 .arg(QStringLiteral("run"), 4).arg(QStringLiteral("role"), -roleWidth).arg(QStringLiteral("format"), -11).arg(QStringLiteral("bytes"), 10)
                 .arg(QStringLiteral("parameters"), 10).arg(QStringLiteral("sha256"), -16).arg(QStringLiteral("file")));
    for (const ArtifactRecord &a : list)
        printOut(QStringLiteral("%1  %2  %3  %4  %5  %6  %7\n")
                     .arg(a.runId, 4).arg(a.role, -roleWidth).arg(a.format, -11).arg(a.bytes, 10).arg(a.parameters, 10).arg(a.sha256.left(16), -16)
                     .arg(QDir(cache).filePath(a.path)));
    if (list.isEmpty())
        printOut(runId > 0 ? QStringLiteral("(run %1 kept no artifacts)\n").arg(runId) : QStringLiteral("(no artifacts in %1)\n").arg(store.path()));
    return 0;
}

int CommandLine::plugins(const QStringList &arguments)
{
    CommandArguments args(QStringLiteral("plugins"), {kJson, {QStringLiteral("--disable"), QStringLiteral("ID")}, {QStringLiteral("--enable"), QStringLiteral("ID")}});
    args.parse(arguments);
    if (args.has(QStringLiteral("--disable")) || args.has(QStringLiteral("--enable"))) {
        QSettings settings;
        WorkbenchSettings chosen = WorkbenchSettings::load(settings);
        const QString disable = args.value(QStringLiteral("--disable")), enable = args.value(QStringLiteral("--enable"));
        if (!disable.isEmpty() && !chosen.disabledPlugins.contains(disable))
            chosen.disabledPlugins << disable;
        chosen.disabledPlugins.removeAll(enable);
        chosen.save(settings);
        printErr(QStringLiteral("disabled plugins (from the next start): %1\n")
                     .arg(chosen.disabledPlugins.isEmpty() ? QStringLiteral("none") : chosen.disabledPlugins.join(QStringLiteral(", "))));
        return 0;
    }
    const PluginManager &manager = PluginManager::instance();
    if (args.has(QStringLiteral("--json"))) {
        printOut(QString::fromUtf8(QJsonDocument(manager.toJson()).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
        return 0;
    }
    for (const PluginSpec &spec : manager.plugins()) {
        printOut(QStringLiteral("%1 %2  %3%4\n    %5\n")
                     .arg(spec.id, spec.version.isEmpty() ? QStringLiteral("-") : spec.version, PluginSpec::stateName(spec.state),
                          spec.kinds.isEmpty() ? QString() : QStringLiteral("  kinds: ") + spec.kinds.join(QStringLiteral(", ")), spec.file));
        if (!spec.reason.isEmpty())
            printOut(QStringLiteral("    %1\n").arg(spec.reason));
    }
    if (manager.plugins().empty())
        printOut(QStringLiteral("(no plugins in %1)\n").arg(PluginManager::defaultSearchPaths().join(QStringLiteral(", "))));
    return 0;
}

int CommandLine::listRuns(const QStringList &arguments)
{
    CommandArguments args(QStringLiteral("runs"), {kDb, kJson});
    args.parse(arguments);
    const Database db(databaseOf(args));
    const QList<RunRecord> runs = RunRepository(db).listRuns();
    if (args.has(QStringLiteral("--json"))) {
        QJsonArray array;
        for (const RunRecord &r : runs) {
            QJsonObject o{{QStringLiteral("run_id"), r.id},
                          {QStringLiteral("name"), r.name},
                          {QStringLiteral("status"), r.status},
                          {QStringLiteral("started_at"), r.startedAt.toString(Qt::ISODate)},
                          {QStringLiteral("labels_used"), r.labelsUsed},
                          {QStringLiteral("energy_source"), r.energySource}};
            const auto put = [&o](const char *key, const std::optional<double> &v) {
                o.insert(QLatin1String(key), v ? QJsonValue(*v) : QJsonValue());
            };
            put("accuracy", r.accuracy);
            put("duration_s", r.durationS);
            put("energy_kwh", r.energyKwh);
            put("emissions_g", r.emissionsG);
            put("intensity_g_per_kwh", r.intensityGPerKwh);
            if (!r.error.isEmpty())
                o.insert(QStringLiteral("error"), r.error);
            array.append(o);
        }
        printOut(QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
        return 0;
    }
    printOut(QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8  %9\n")
                 .arg(QStringLiteral("id"), 4).arg(QStringLiteral("name"), -20).arg(QStringLiteral("status"), -11)
                 .arg(QStringLiteral("accuracy"), 8).arg(QStringLiteral("labels"), 6).arg(QStringLiteral("duration_s"), 10)
                 .arg(QStringLiteral("energy_wh"), 10).arg(QStringLiteral("co2_g"), 8).arg(QStringLiteral("source")));
    for (const RunRecord &r : runs) {
        printOut(QStringLiteral("%1  %2  %3  %4  %5  %6  %7  %8  %9\n")
                     .arg(r.id, 4).arg(r.name.left(20), -20).arg(r.status, -11)
                     .arg(formatNumber(r.accuracy, 4), 8).arg(r.labelsUsed, 6).arg(formatNumber(r.durationS, 1), 10)
                     .arg(formatNumber(r.energyKwh, 4, 1000), 10).arg(formatNumber(r.emissionsG, 3), 8)
                     .arg(r.energySource.isEmpty() ? QStringLiteral("-") : r.energySource));
    }
    if (runs.isEmpty())
        printOut(QStringLiteral("(no runs in %1)\n").arg(db.path()));
    return 0;
}

} // namespace gw
