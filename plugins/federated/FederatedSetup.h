#pragma once
#include "ClientSelection.h"
#include "LocalTraining.h"
#include "ServerOptimizer.h"
#include "UpdateCodec.h"
#include "config/RunParameters.h"
#include "jobs/RunWork.h"
#include "models/Backbone.h"

#include <QJsonArray>
#include <QJsonObject>
#include <memory>

namespace gw::federated {

/// What a federation is set up from, read from its config the same way for the simulation and for
/// real hosts: the data the global model is tested on (and, simulated, the clients' data), the
/// model to start from, the clients' training, the server's step, the update codec, the selection.

/// The value of a plugin parameter @p key of @p config (its default when unset).
template <typename T>
T parameter(const RunConfig &config, const char *key)
{
    return RunParameters::value<T>(config, key);
}
/// A text or path parameter's value; empty when it is unset (null).
QString textParameter(const RunConfig &config, const char *key);

/// What the clients train on and the global model is tested on, with what made it.
struct ClientInputs {
    torch::Tensor trainX, testX, trainY, testY; ///< undefined trainX: cancelled while computing features
    QStringList classNames;
    InputSpec spec;                     ///< the small CNN's input (images); its mean and std normalise them
    std::unique_ptr<Backbone> backbone; ///< features: the frozen backbone that computed them
    torch::Tensor featureMean, featureStd;
    bool overFeatures() const { return backbone != nullptr; }
    int classes() const;
};

/// The datasets as normalised grey images for the small CNN, loaded in the data window.
ClientInputs imageInputs(RunContext &context);
/// The datasets as standardised features of the frozen bundled backbone, through the embedding
/// cache (a warm cache computes nothing). Each client would compute its own samples' features once
/// and keep them; the statistics are those of all training features, which the clients' sums and
/// squares (one extra round) would give the server. Summary keys of the embeddings go to @p summary.
ClientInputs featureInputs(RunContext &context, QJsonObject &summary);

/// The global model at the start and where it came from.
struct StartingModel {
    FederatedModel model;
    QString origin;
};
/// From seeded random weights, another run's kept small CNN or a small-CNN safetensors file (a
/// linear head over @p inputs' features when they are features).
StartingModel startingModel(RunContext &context, const ClientInputs &inputs, int classes);

LocalTraining localTrainingOf(const RunConfig &config);
ServerOptimizer serverOptimizerOf(const RunConfig &config);
UpdateCodec codecOf(const RunConfig &config);
SelectionOptions selectionOf(const RunConfig &config, int perRound, int clients);
/// The seed of a client's sample order in a round: the same in the simulation and on a host.
std::uint64_t localSeed(std::uint64_t seed, int round, int client);

/// Writes @p described ([{scope, description}], one per client or host) as the run's "clients"
/// artifact: the "What it is" column of its Clients or Hosts tab.
void keepClientsTable(RunContext &context, const QJsonArray &described);

/// Keeps @p model at @p global as the run's model artifact (a classifier over the backbone when
/// @p inputs are features), named in @p summary.
void keepFinalModel(RunContext &context, FederatedModel &model, const torch::Tensor &global, const ClientInputs &inputs, QJsonObject &summary);

} // namespace gw::federated
