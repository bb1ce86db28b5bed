#include "PretrainCommand.h"

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
};

double number(const QString &option, const QString &text, double minimum)
{
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || !(value >= minimum))
        throw Error(QStringLiteral("%1: '%2' is not a number >= %3").arg(option, text).arg(minimum));
    return value;
}

Options parse(const QStringList &arguments)
{
    Options o;
    for (int i = 0; i < arguments.size(); ++i) {
        const QString arg = arguments[i];
        if (arg == QStringLiteral("--json")) {
            o.json = true;
            continue;
        }
        if (arg == QStringLiteral("--help") || arg == QStringLiteral("-h")) {
            o.help = true;
            continue;
        }
        if (i + 1 >= arguments.size())
            throw Error(QStringLiteral("%1 needs a value (see green-workbench pretrain --help)").arg(arg));
        const QString value = arguments[++i];
        if (arg == QStringLiteral("--epochs"))
            o.config.training.epochs = int(number(arg, value, 1));
        else if (arg == QStringLiteral("--batch-size"))
            o.config.training.batchSize = int(number(arg, value, 2));
        else if (arg == QStringLiteral("--lr"))
            o.config.training.learningRate = number(arg, value, 1e-9);
        else if (arg == QStringLiteral("--temperature"))
            o.config.pretrain.temperature = number(arg, value, 1e-3);
        else if (arg == QStringLiteral("--subset"))
            o.config.dataset.trainSubset = std::int64_t(number(arg, value, 0));
        else if (arg == QStringLiteral("--seed"))
            o.config.seed = o.config.training.seed = std::uint64_t(number(arg, value, 0));
        else if (arg == QStringLiteral("--threads"))
            o.config.training.threads = int(number(arg, value, 0));
        else if (arg == QStringLiteral("--dataset"))
            o.config.dataset.path = value;
        else if (arg == QStringLiteral("--country"))
            o.config.energy.country = value.toUpper();
        else if (arg == QStringLiteral("--output"))
            o.output = value;
        else if (arg == QStringLiteral("--db"))
            o.db = value;
        else
            throw Error(QStringLiteral("unknown option %1 (see green-workbench pretrain --help)").arg(arg));
    }
    // Every value passes the same checks as a config file's (and is stored with the run, so
    // `run --resume` and the New run dialog take the run up again).
    o.config.pretrain.output = QFileInfo(o.output).absoluteFilePath();
    o.config = RunConfig::fromJson(RunParameters::toJson(o.config), QStringLiteral("green-workbench pretrain"));
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
        .arg(o.config.dataset.trainSubset > 0 ? QStringLiteral(" --subset %1").arg(o.config.dataset.trainSubset) : QString());
}

} // namespace

QString PretrainCommand::usage()
{
    return QStringLiteral(
        "Usage: green-workbench pretrain [--epochs N] [--batch-size N] [--lr X] [--temperature X] [--seed N]\n"
        "                                [--subset N] [--threads N] [--dataset DIR] [--country ISO3]\n"
        "                                [--output FILE.safetensors] [--db FILE] [--json]\n"
        "  Pretrains the bundled backbone (gw-mobilenet) with a contrastive objective (SimCLR NT-Xent)\n"
        "  on the Fashion-MNIST training images without their labels, as a measured run, then writes\n"
        "  the weights (default ./gw-mobilenet-fmnist.safetensors) and a model card next to them\n"
        "  (same name, .md) stating the energy and CO2 of the pretraining.\n");
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
    const RunSummary summary = CommandLine::runInForeground(o.config, db);
    if (summary.status == QStringLiteral("completed")) {
        const Database store(db);
        const RunReport report = RunReportBuilder::fromStore(RunRepository(store), summary.runId, db);
        const QFileInfo info(weights);
        const QString cardPath = info.absoluteDir().filePath(info.completeBaseName() + QStringLiteral(".md"));
        QString card = ModelCard::render(report);
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
