#include "PretrainCommand.h"

#include "CommandArguments.h"
#include "CommandLine.h"
#include "Error.h"
#include "config/RunConfig.h"
#include "config/RunParameters.h"
#include "jobs/RunJob.h"
#include "report/ModelCard.h"
#include "report/RunReportBuilder.h"
#include "store/Database.h"
#include "store/RunRepository.h"
#include "util/Files.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <nlohmann/json.hpp>
#include <cstdio>

namespace gw {

namespace {

struct Options {
    RunConfig config = RunConfig::defaultsFor(QStringLiteral("pretrain"));
    QString output = QStringLiteral("gw-mobilenet-fmnist.safetensors");
    QString db;
    bool json = false;
    bool help = false;
    qint64 resume = 0; ///< a stopped pretraining run to go on from (its own stored recipe)
};

Options parse(const QStringList &arguments)
{
    const auto valued = [](const char *name, const char *value) { return CommandArguments::Option{QLatin1String(name), QLatin1String(value)}; };
    CommandArguments args(QStringLiteral("pretrain"), {valued("--epochs", "N"), valued("--batch-size", "N"), valued("--lr", "X"), valued("--temperature", "X"),
                                                       valued("--subset", "N"), valued("--seed", "N"), valued("--threads", "N"), valued("--dataset", "DIR"),
                                                       valued("--country", "ISO3"), valued("--output", "FILE"), valued("--db", "FILE"), valued("--init", "FILE|bundled"),
                                                       valued("--resume", "RUN_ID"), {QStringLiteral("--json"), QString()}});
    args.parse(arguments);
    Options o;
    o.help = args.wantsHelp();
    o.json = args.has(QStringLiteral("--json"));
    o.db = args.value(QStringLiteral("--db"));
    if (args.has(QStringLiteral("--resume"))) {
        // The stopped run's own recipe, so the rest of it trains exactly what the first part would have.
        for (const QString &recipe : {"--epochs", "--batch-size", "--lr", "--temperature", "--subset", "--seed", "--threads", "--dataset", "--country", "--output", "--init"})
            if (args.has(recipe))
                throw Error(QStringLiteral("pretrain --resume goes on with the stopped run's own recipe; it takes no %1").arg(recipe));
        o.resume = args.integer(QStringLiteral("--resume"), 0, 1);
        const QString db = o.db.isEmpty() ? CommandLine::defaultDatabasePath() : o.db;
        const Database store(db);
        const RunRecord record = CommandLine::resumableRun(RunRepository(store), o.resume);
        o.resume = record.id;
        o.config = RunConfig::fromJsonText(record.paramsJson.toStdString(), QStringLiteral("run %1 in %2").arg(record.id).arg(db));
        if (o.config.kind != QStringLiteral("pretrain"))
            throw Error(QStringLiteral("run %1 is a '%2' run, not a pretraining (green-workbench run --resume %1 continues it)").arg(record.id).arg(o.config.kind));
        o.output = o.config.pretrain.output;
        return o;
    }
    RunConfig &c = o.config;
    c.training.epochs = int(args.integer(QStringLiteral("--epochs"), c.training.epochs, 1));
    c.training.batchSize = int(args.integer(QStringLiteral("--batch-size"), c.training.batchSize, 2));
    c.training.learningRate = args.number(QStringLiteral("--lr"), c.training.learningRate, 1e-9, 10);
    c.pretrain.temperature = args.number(QStringLiteral("--temperature"), c.pretrain.temperature, 1e-3, 100);
    c.dataset.trainSubset = args.integer(QStringLiteral("--subset"), c.dataset.trainSubset, 0);
    c.seed = c.training.seed = std::uint64_t(args.integer(QStringLiteral("--seed"), qint64(c.seed), 0));
    c.training.threads = int(args.integer(QStringLiteral("--threads"), c.training.threads, 0));
    c.dataset.path = args.value(QStringLiteral("--dataset"), c.dataset.path);
    c.energy.country = args.value(QStringLiteral("--country"), c.energy.country).toUpper();
    o.output = args.value(QStringLiteral("--output"), o.output);
    c.pretrain.init = args.value(QStringLiteral("--init"), c.pretrain.init);
    if (!c.pretrain.init.isEmpty() && c.pretrain.init != QStringLiteral("bundled"))
        c.pretrain.init = QFileInfo(c.pretrain.init).absoluteFilePath();
    // Every value passes the same checks as a config file's (and is stored with the run, so
    // `run --resume` and the New run dialog take the run up again).
    c.pretrain.output = QFileInfo(o.output).absoluteFilePath();
    c = RunConfig::fromJson(RunParameters::toJson(c), QStringLiteral("green-workbench pretrain"));
    return o;
}

QString reproduceCommand(const Options &o)
{
    return QStringLiteral("green-workbench pretrain --epochs %1 --batch-size %2 --lr %3 --temperature %4 --seed %5%6")
        .arg(o.config.training.epochs)
        .arg(o.config.training.batchSize)
        .arg(o.config.training.learningRate)
        .arg(o.config.pretrain.temperature)
        .arg(o.config.seed)
        .arg(o.config.dataset.trainSubset > 0 ? QStringLiteral(" --subset %1").arg(o.config.dataset.trainSubset) : QString()) +
           (o.config.pretrain.init.isEmpty() ? QString() : QStringLiteral(" --init %1").arg(o.config.pretrain.init == QStringLiteral("bundled") ? QStringLiteral("bundled") : QFileInfo(o.config.pretrain.init).fileName()));
}

} // namespace

QString PretrainCommand::usage()
{
    return QStringLiteral(
        "Usage: green-workbench pretrain [--epochs N] [--batch-size N] [--lr X] [--temperature X] [--seed N]\n"
        "                                [--subset N] [--threads N] [--dataset DIR] [--country ISO3]\n"
        "                                [--output FILE.safetensors] [--init FILE|bundled] [--db FILE] [--json]\n"
        "       green-workbench pretrain --resume RUN_ID [--db FILE] [--json]\n"
        "  Pretrains the bundled backbone (gw-mobilenet) with a contrastive objective (SimCLR NT-Xent)\n"
        "  on the Fashion-MNIST training images without their labels, as a measured run, then writes\n"
        "  the weights (default ./gw-mobilenet-fmnist.safetensors) and a model card next to them\n"
        "  (same name, .md) stating the energy and CO2 of the pretraining. After each epoch it keeps a\n"
        "  checkpoint; --resume goes on from the last one of a stopped (Ctrl+C, killed) pretraining run, with\n"
        "  its recipe, taking exactly the steps the uninterrupted run would have taken. --init goes on\n"
        "  pretraining existing weights (the bundled ones, or a safetensors file) with a new schedule; the\n"
        "  card then states the whole pretraining's cost, theirs included.\n");
}

int PretrainCommand::execute(const QStringList &arguments)
{
    const Options o = parse(arguments);
    if (o.help) {
        std::fputs(usage().toLocal8Bit().constData(), stdout);
        return 0;
    }
    const QString weights = o.config.pretrain.output;
    const QString db = o.db.isEmpty() ? CommandLine::defaultDatabasePath() : o.db;
    const qint64 resume = o.resume;
    const RunSummary summary = CommandLine::runInForeground(o.config, db, [resume](RunJob &job) {
        if (resume > 0)
            job.setResumeFrom(resume);
    });
    if (summary.status == QStringLiteral("completed")) {
        const Database store(db);
        const RunReport report = RunReportBuilder::fromStore(RunRepository(store), summary.runId, db);
        const QFileInfo info(weights);
        const QString cardPath = info.absoluteDir().filePath(info.completeBaseName() + QStringLiteral(".md"));
        QString card = ModelCard::render(report);
        // A pretraining done in parts (stopped, then resumed): the card states what all of it cost.
        const RunRepository runs(store);
        QStringList parts;
        double wh = 0, grams = 0;
        for (qint64 id = summary.runId; id > 0; id = runs.resumedFrom(id))
            if (const std::optional<RunRecord> part = runs.run(id)) {
                const double partWh = part->energyKwh.value_or(0) * 1000, partG = part->emissionsG.value_or(0);
                parts.prepend(QStringLiteral("run %1: %2 Wh, %3 g CO₂e").arg(id).arg(partWh, 0, 'f', 3).arg(partG, 0, 'f', 3));
                wh += partWh;
                grams += partG;
            }
        if (parts.size() > 1)
            card += QStringLiteral("\n## The whole pretraining\n\nDone in %1 parts, each resumed from the last one's checkpoint with the same "
                                   "recipe (%2): %3 Wh and %4 g CO₂e in all.\n")
                        .arg(parts.size())
                        .arg(parts.join(QStringLiteral("; ")))
                        .arg(wh, 0, 'f', 3)
                        .arg(grams, 0, 'f', 3);
        if (summary.extra.contains(QStringLiteral("pretrain_init"))) {
            const double earlierWh = summary.extra.value(QStringLiteral("pretrain_init_energy_wh")).toDouble();
            const double earlierG = summary.extra.value(QStringLiteral("pretrain_init_co2_g")).toDouble();
            card += QStringLiteral("\n## Continued pretraining\n\nThese weights went on from %1, whose own pretraining used %2 Wh and %3 g CO₂e%4. "
                                   "With this run's %5 Wh and %6 g, the whole pretraining used **%7 Wh and %8 g CO₂e**.\n")
                        .arg(summary.extra.value(QStringLiteral("pretrain_init")).toString())
                        .arg(earlierWh, 0, 'f', 3)
                        .arg(earlierG, 0, 'f', 3)
                        .arg(earlierWh > 0 ? QString() : QStringLiteral(" (their metadata states none: counted as 0)"))
                        .arg(wh, 0, 'f', 3)
                        .arg(grams, 0, 'f', 3)
                        .arg(earlierWh + wh, 0, 'f', 3)
                        .arg(earlierG + grams, 0, 'f', 3);
        }
        card += QStringLiteral("\n## Pretraining recipe\n\nWeights: `%1` (safetensors; its metadata holds the input normalisation). "
                               "Self-supervised: SimCLR-style contrastive learning (NT-Xent, temperature %2) on two random views of each "
                               "training image (resized crop 35-100 %, horizontal flip, contrast and brightness jitter, Gaussian noise), "
                               "through a projection head that is dropped afterwards; the labels are never read. Reproduce with:\n\n"
                               "```\n%3\n```\n")
                    .arg(info.fileName())
                    .arg(o.config.pretrain.temperature)
                    .arg(reproduceCommand(o));
        AtomicFile::writeWhole(cardPath, card.toUtf8(), QStringLiteral("the model card"));
        std::fprintf(stderr, "weights: %s\nmodel card: %s\n", weights.toLocal8Bit().constData(), cardPath.toLocal8Bit().constData());
    }
    if (o.json)
        std::printf("%s\n", QJsonDocument(summary.toJson()).toJson(QJsonDocument::Compact).constData());
    return CommandLine::exitCode(summary);
}

} // namespace gw
