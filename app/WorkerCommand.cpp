#include "WorkerCommand.h"

#include "CommandArguments.h"
#include "CommandLine.h"

#include <QDir>
#include <QFileInfo>
#include <cstdio>

namespace gw {

QString WorkerCommand::usage()
{
    return QStringLiteral(
        "Usage: green-workbench worker --coordinator HOST:PORT --token-file FILE [--name NAME] [--data PATH]\n"
        "                              [--region ISO3] [--threads N] [--db FILE] [--json]\n"
        "  Joins the coordinator of a federated run with backend \"hosts\" (its federated.listen), proving the\n"
        "  shared token in FILE (HMAC over the coordinator's nonce; the token never goes on the wire), and\n"
        "  trains on this machine's own data when a round asks: PATH is a folder of Fashion-MNIST-style IDX\n"
        "  files (its training split is used) or an image folder (default: Debian's Fashion-MNIST). Each\n"
        "  update goes with the energy this machine measured (RAPL, NVML or the estimate); this store keeps\n"
        "  the worker's run. --region: this host's grid (default: energy.country).\n");
}

int WorkerCommand::execute(const QStringList &arguments)
{
    const auto valued = [](const char *name, const char *value) { return CommandArguments::Option{QLatin1String(name), QLatin1String(value)}; };
    CommandArguments args(QStringLiteral("worker"), {valued("--coordinator", "HOST:PORT"), valued("--token-file", "FILE"), valued("--name", "NAME"),
                                                     valued("--data", "PATH"), valued("--region", "ISO3"), valued("--threads", "N"),
                                                     valued("--db", "FILE"), {QStringLiteral("--json"), QString()}});
    args.parse(arguments);
    if (args.wantsHelp()) {
        std::fputs(usage().toLocal8Bit().constData(), stdout);
        return 0;
    }
    QStringList run{QStringLiteral("--kind=federated-worker"), QStringLiteral("--worker.coordinator=") + args.value(QStringLiteral("--coordinator")),
                    QStringLiteral("--worker.token_file=") + args.value(QStringLiteral("--token-file"))};
    if (args.has(QStringLiteral("--name")))
        run << QStringLiteral("--worker.name=") + args.value(QStringLiteral("--name"));
    if (args.has(QStringLiteral("--region")))
        run << QStringLiteral("--worker.region=") + args.value(QStringLiteral("--region"));
    if (args.has(QStringLiteral("--threads")))
        run << QStringLiteral("--training.threads=") + args.value(QStringLiteral("--threads"));
    if (args.has(QStringLiteral("--data"))) {
        // A folder with Fashion-MNIST's file names is IDX data; any other, an image folder.
        const QString data = QFileInfo(args.value(QStringLiteral("--data"))).absoluteFilePath();
        const QDir dir(data);
        const bool idx = dir.exists(QStringLiteral("train-images-idx3-ubyte.gz")) || dir.exists(QStringLiteral("train-images-idx3-ubyte"));
        run << QStringLiteral("--dataset.kind=") + (idx ? QStringLiteral("fashion-mnist") : QStringLiteral("image-folder"))
            << QStringLiteral("--dataset.path=") + data;
    }
    run << args.reassemble({QStringLiteral("--db"), QStringLiteral("--json")});
    return CommandLine::run(run);
}

} // namespace gw
