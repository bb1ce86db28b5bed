#include "Error.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>
#include <torch/torch.h>

using namespace gw;

Q_DECLARE_METATYPE(torch::Tensor)

namespace {

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out.append(char(v));
    return out;
}

// A file as the format describes it: little-endian u64 header length, header, data.
QByteArray safetensorsFile(const QByteArray &header, const QByteArray &data)
{
    QByteArray length(8, '\0');
    qToLittleEndian<quint64>(quint64(header.size()), length.data());
    return length + header + data;
}

QByteArray rawBytes(const torch::Tensor &tensor)
{
    const torch::Tensor t = tensor.contiguous();
    return QByteArray(static_cast<const char *>(t.data_ptr()), qsizetype(t.nbytes()));
}

// By name: QCOMPARE on a ScalarType would pick c10::toString by ADL and free its static string.
QString dtypeOf(c10::ScalarType type)
{
    return Safetensors::dtypeName(type);
}

template <typename F>
QString errorOf(F &&action)
{
    try {
        action();
    } catch (const Error &e) {
        return e.message();
    }
    return QString();
}

#define EXPECT_ERROR_CONTAINING(messageExpression, fragmentExpression)                                               \
    do {                                                                                                               \
        const QString message_ = (messageExpression);                                                                  \
        const QString fragment_ = (fragmentExpression);                                                                \
        QVERIFY2(!message_.isEmpty(), "no gw::Error was thrown");                                                      \
        QVERIFY2(message_.contains(fragment_), qPrintable(QStringLiteral("'%1' not in: %2").arg(fragment_, message_))); \
    } while (false)

// A named block under a Sequential, so names show both kinds of nesting ("0.bn.running_mean").
class ConvBlockImpl : public torch::nn::Module {
public:
    ConvBlockImpl()
    {
        conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
        bn = register_module("bn", torch::nn::BatchNorm2d(4));
    }
    torch::Tensor forward(const torch::Tensor &x) { return bn->forward(conv->forward(x)); }

private:
    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBlock);

torch::nn::Sequential makeNet(int classes)
{
    return torch::nn::Sequential(ConvBlock(), torch::nn::ReLU(), torch::nn::Flatten(),
                                 torch::nn::Linear(4 * 6 * 6, classes));
}

torch::Tensor find(const NamedTensors &tensors, const std::string &name)
{
    for (const auto &[n, t] : tensors)
        if (n == name)
            return t;
    return {};
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

    QString path(const QString &name) const { return dir_.filePath(name); }

    QString writeFile(const QString &name, const QByteArray &content) const
    {
        QFile file(path(name));
        if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
            qFatal("cannot write test file %s", qPrintable(file.fileName()));
        return file.fileName();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    // The reader and the writer checked against the specification, not against each other.
    void matchesAHandWrittenFile()
    {
        // 54 bytes of JSON, padded with two spaces to 56 (a multiple of 8), then 1.0f and 2.0f.
        const QByteArray header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"
                                  "  ";
        QCOMPARE(header.size(), 56);
        const QByteArray file = bytes({56, 0, 0, 0, 0, 0, 0, 0}) + header + bytes({0, 0, 0x80, 0x3f, 0, 0, 0, 0x40});

        const SafetensorsContent content = Safetensors::parse(file, QStringLiteral("hand.safetensors"));
        QCOMPARE(content.tensors.size(), std::size_t(1));
        QCOMPARE(content.tensors[0].first, std::string("w"));
        QVERIFY(torch::equal(content.tensors[0].second, torch::tensor({1.0f, 2.0f})));
        QVERIFY(content.metadata.empty());

        QCOMPARE(Safetensors::serialize({{"w", torch::tensor({1.0f, 2.0f})}}, {}, QStringLiteral("out")), file);
    }

    void readsEveryDtypeFromHandWrittenBytes_data()
    {
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<QString>("shape");
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<torch::Tensor>("expected");

        const auto opts = [](c10::ScalarType type) { return torch::TensorOptions().dtype(type); };
        QTest::newRow("F64")
            << "F64" << "[1]" << bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) << torch::tensor({1.0}, opts(torch::kDouble));
        QTest::newRow("F32 2x2 row-major")
            << "F32" << "[2,2]"
            << bytes({0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40})
            << torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).reshape({2, 2});
        QTest::newRow("F16") << "F16" << "[2]" << bytes({0, 0x3c, 0, 0xc0})
                             << torch::tensor({1.0, -2.0}, opts(torch::kHalf));
        QTest::newRow("BF16") << "BF16" << "[2]" << bytes({0x80, 0x3f, 0, 0xc0})
                              << torch::tensor({1.0, -2.0}, opts(torch::kBFloat16));
        QTest::newRow("I64")
            << "I64" << "[2]" << bytes({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 1, 0, 0, 0, 0, 0, 0})
                             << torch::tensor({-2, 257}, opts(torch::kLong));
        QTest::newRow("I32 2x2 row-major")
            << "I32" << "[2,2]" << bytes({1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0})
            << torch::tensor({1, 2, 3, 4}, opts(torch::kInt)).reshape({2, 2});
        QTest::newRow("I16") << "I16" << "[1]" << bytes({2, 1}) << torch::tensor({258}, opts(torch::kShort));
        QTest::newRow("I8") << "I8" << "[1]" << bytes({0xff}) << torch::tensor({-1}, opts(torch::kChar));
        QTest::newRow("U8") << "U8" << "[1]" << bytes({0xff}) << torch::tensor({255}, opts(torch::kByte));
        QTest::newRow("BOOL") << "BOOL" << "[2]" << bytes({1, 0}) << torch::tensor({true, false});
        QTest::newRow("scalar (empty shape)") << "F32" << "[]" << bytes({0, 0, 0x80, 0x3f}) << torch::tensor(1.0f);
        QTest::newRow("no elements") << "F32" << "[0,3]" << QByteArray() << torch::zeros({0, 3});
    }

    void readsEveryDtypeFromHandWrittenBytes()
    {
        QFETCH(QString, dtype);
        QFETCH(QString, shape);
        QFETCH(QByteArray, data);
        QFETCH(torch::Tensor, expected);
        const QString header = QStringLiteral(R"({"__metadata__":{"format":"pt"},)"
                                              R"("t":{"dtype":"%1","shape":%2,"data_offsets":[0,%3]}})")
                                   .arg(dtype, shape)
                                   .arg(data.size());
        const SafetensorsContent content = Safetensors::parse(safetensorsFile(header.toUtf8(), data), QStringLiteral("x"));
        QCOMPARE(content.tensors.size(), std::size_t(1));
        const torch::Tensor &t = content.tensors[0].second;
        QCOMPARE(dtypeOf(t.scalar_type()), dtypeOf(expected.scalar_type()));
        QCOMPARE(t.sizes().vec(), expected.sizes().vec());
        QVERIFY(torch::equal(t, expected));
        QCOMPARE(content.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
    }

    void roundTripIsBitExact_data()
    {
        QTest::addColumn<int>("dtype");
        for (c10::ScalarType type : {torch::kDouble, torch::kFloat, torch::kHalf, torch::kBFloat16, torch::kLong,
                                     torch::kInt, torch::kShort, torch::kChar, torch::kByte, torch::kBool})
            QTest::newRow(qPrintable(Safetensors::dtypeName(type))) << int(type);
    }

    void roundTripIsBitExact()
    {
        QFETCH(int, dtype);
        const auto type = c10::ScalarType(dtype);
        torch::manual_seed(7);
        torch::Tensor t;
        if (c10::isFloatingType(type)) {
            t = torch::randn({3, 5}).to(type);
            // The values a careless conversion loses: infinities, negative zero, NaN.
            t[0][0] = std::numeric_limits<double>::infinity();
            t[0][1] = -0.0;
            t[0][2] = std::numeric_limits<double>::quiet_NaN();
        } else if (type == torch::kBool) {
            t = torch::randint(0, 2, {3, 5}).to(type);
        } else if (type == torch::kByte) {
            t = torch::randint(0, 256, {3, 5}).to(type);
        } else {
            t = torch::randint(-128, 128, {3, 5}).to(type);
        }
        const QString file = path(QStringLiteral("bits-%1.safetensors").arg(dtype));
        Safetensors::write(file, {{"t", t}});
        const SafetensorsContent content = Safetensors::read(file);
        QCOMPARE(content.tensors.size(), std::size_t(1));
        QCOMPARE(dtypeOf(content.tensors[0].second.scalar_type()), dtypeOf(type));
        QCOMPARE(content.tensors[0].second.sizes().vec(), t.sizes().vec());
        QCOMPARE(rawBytes(content.tensors[0].second), rawBytes(t));
    }

    void roundTripKeepsOrderShapesAndMetadata()
    {
        torch::manual_seed(3);
        const torch::Tensor base = torch::randn({4, 3});
        const NamedTensors tensors = {
            {"z.last_name_first", base.t()}, // not contiguous: the writer must lay it out row-major
            {"a.scalar", torch::tensor(2.5, torch::kFloat16)},
            {"m.empty", torch::zeros({0, 3}, torch::kLong)},
            {"b.counts", torch::arange(6, torch::kLong).reshape({2, 3})},
            {"c.bf16", base.to(torch::kBFloat16)},
        };
        const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "ünïcode ✓"}};
        const QString file = path(QStringLiteral("many.safetensors"));
        Safetensors::write(file, tensors, metadata);

        QFile raw(file);
        QVERIFY(raw.open(QIODevice::ReadOnly));
        const QByteArray written = raw.readAll();
        QCOMPARE(qFromLittleEndian<quint64>(written.constData()) % 8, quint64(0));

        const SafetensorsContent content = Safetensors::read(file);
        QCOMPARE(content.metadata, metadata);
        QCOMPARE(content.tensors.size(), tensors.size());
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            QCOMPARE(content.tensors[i].first, tensors[i].first);
            QCOMPARE(dtypeOf(content.tensors[i].second.scalar_type()), dtypeOf(tensors[i].second.scalar_type()));
            QVERIFY2(torch::equal(content.tensors[i].second, tensors[i].second), tensors[i].first.c_str());
        }
        QVERIFY(content.tensors[0].second.is_contiguous());
    }

    void readTensorsOwnTheirMemory()
    {
        QByteArray file = Safetensors::serialize({{"w", torch::tensor({1.0f, 2.0f})}}, {}, QStringLiteral("x"));
        const SafetensorsContent content = Safetensors::parse(file, QStringLiteral("x"));
        file.fill('\0');
        QVERIFY(torch::equal(content.tensors[0].second, torch::tensor({1.0f, 2.0f})));
    }

    void rejectsBadInput_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("tensor");
        QTest::addColumn<QString>("problem");

        const QByteArray eight = QByteArray(8, '\1');
        const auto file = [](const char *header, const QByteArray &data) { return safetensorsFile(header, data); };
        // A file with the one tensor 'w' described by `fields`, and 8 bytes of data.
        const auto w = [&](const char *fields) { return file(QByteArray(R"({"w":{)") + fields + "}}", eight); };
        const auto lengthOnly = [](quint64 length, const QByteArray &rest) {
            QByteArray out(8, '\0');
            qToLittleEndian<quint64>(length, out.data());
            return out + rest;
        };

        QTest::newRow("shorter than 8 bytes") << bytes({5, 0, 0}) << "" << "too short";
        QTest::newRow("empty file") << QByteArray() << "" << "too short";
        QTest::newRow("header length past the end") << lengthOnly(200, "{}") << "" << "only 2 follow";
        QTest::newRow("absurd header length") << lengthOnly(quint64(1) << 40, "{}") << "" << "more than the";
        QTest::newRow("malformed JSON") << file(R"({"w":{"dtype":"F32","shape":[2],)", eight) << ""
                                        << "not valid JSON";
        QTest::newRow("invalid UTF-8") << file("{\"w\xff\":{}}", {}) << "" << "not valid JSON";
        QTest::newRow("header not an object") << file("[1,2,3]", {}) << "" << "not an object";
        QTest::newRow("entry not an object") << file(R"({"w":3})", {}) << "w" << "not a JSON object";
        QTest::newRow("missing dtype") << w(R"("shape":[2],"data_offsets":[0,8])") << "w" << "no \"dtype\"";
        QTest::newRow("missing shape") << w(R"("dtype":"F32","data_offsets":[0,8])") << "w" << "no \"shape\"";
        QTest::newRow("missing data_offsets") << w(R"("dtype":"F32","shape":[2])") << "w" << "no \"data_offsets\"";
        QTest::newRow("dtype not a string")
            << w(R"("dtype":4,"shape":[2],"data_offsets":[0,8])") << "w" << "\"dtype\" is not a string";
        QTest::newRow("shape not an array")
            << w(R"("dtype":"F32","shape":2,"data_offsets":[0,8])") << "w" << "\"shape\" is not an array";
        QTest::newRow("fractional dimension")
            << w(R"("dtype":"F32","shape":[2.5],"data_offsets":[0,8])") << "w" << "not an integer";
        QTest::newRow("negative dimension")
            << w(R"("dtype":"F32","shape":[-2],"data_offsets":[0,8])") << "w" << "negative";
        QTest::newRow("unknown dtype")
            << w(R"("dtype":"Q4","shape":[2],"data_offsets":[0,8])") << "w" << "unknown or unsupported dtype \"Q4\"";
        QTest::newRow("three data_offsets")
            << w(R"("dtype":"F32","shape":[2],"data_offsets":[0,4,8])") << "w" << "[begin, end]";
        QTest::newRow("negative offset")
            << w(R"("dtype":"F32","shape":[2],"data_offsets":[-8,0])") << "w" << "negative";
        QTest::newRow("offsets out of range")
            << w(R"("dtype":"F32","shape":[4],"data_offsets":[0,16])") << "w" << "run past the end";
        QTest::newRow("end before begin")
            << w(R"("dtype":"F32","shape":[2],"data_offsets":[8,0])") << "w" << "end before they begin";
        QTest::newRow("size mismatch") << w(R"("dtype":"F32","shape":[3],"data_offsets":[0,8])") << "w" << "need 12";
        QTest::newRow("shape too large")
            << w(R"("dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8])") << "w" << "too large";
        QTest::newRow("overlap") << file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                         QByteArray(12, '\0'))
                                 << "b" << "overlaps tensor 'a'";
        QTest::newRow("hole") << file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})",
                                      QByteArray(20, '\0'))
                              << "b" << "hole of 4 bytes";
        QTest::newRow("trailing bytes") << file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                                QByteArray(12, '\0'))
                                        << "" << "4 bytes after the last tensor";
        QTest::newRow("duplicate name") << file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                                R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                                eight)
                                        << "w" << "names it twice";
        QTest::newRow("metadata value not a string")
            << file(R"({"__metadata__":{"epochs":3},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight)
            << "" << "'epochs' is not a string";
        QTest::newRow("metadata not an object")
            << file(R"({"__metadata__":"pt","w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", eight) << ""
            << "\"__metadata__\" is not a JSON object";
        QTest::newRow("BOOL byte neither 0 nor 1")
            << file(R"({"w":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}})", bytes({2})) << "w" << "0 or 1";

        QByteArray truncated = Safetensors::serialize(
            {{"a", torch::ones({4})}, {"b", torch::ones({4})}}, {}, QStringLiteral("x"));
        truncated.chop(6); // in the middle of b's data
        QTest::newRow("truncated in the data") << truncated << "b" << "truncated";
    }

    void rejectsBadInput()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, tensor);
        QFETCH(QString, problem);
        const QString file = writeFile(QStringLiteral("broken.safetensors"), content);
        const QString message = errorOf([&] { Safetensors::read(file); });
        EXPECT_ERROR_CONTAINING(message, problem);
        QVERIFY2(message.startsWith(file + QLatin1Char(':')), qPrintable(message));
        if (!tensor.isEmpty())
            QVERIFY2(message.contains(QStringLiteral("tensor '%1'").arg(tensor)), qPrintable(message));
    }

    void reportsAMissingFile()
    {
        const QString file = path(QStringLiteral("absent.safetensors"));
        EXPECT_ERROR_CONTAINING(errorOf([&] { Safetensors::read(file); }), file + QStringLiteral(": file not found"));
    }

    void writeRefusesWhatTheFormatCannotHoldAndKeepsTheOldFile()
    {
        const QString file = path(QStringLiteral("kept.safetensors"));
        Safetensors::write(file, {{"w", torch::ones({2})}});
        const auto refused = [&](const NamedTensors &tensors) {
            return errorOf([&] { Safetensors::write(file, tensors); });
        };
        EXPECT_ERROR_CONTAINING(refused({{"w", torch::ones({2})}, {"w", torch::zeros({2})}}),
                                file + QStringLiteral(": tensor 'w': the name is given twice"));
        EXPECT_ERROR_CONTAINING(refused({{"__metadata__", torch::ones({2})}}), QStringLiteral("reserved"));
        EXPECT_ERROR_CONTAINING(refused({{"c", torch::ones({2}, torch::kComplexFloat)}}),
                                QStringLiteral("tensor 'c': dtype ComplexFloat cannot be stored"));
        EXPECT_ERROR_CONTAINING(refused({{"u", torch::Tensor()}}), QStringLiteral("tensor 'u': the tensor is undefined"));

        const SafetensorsContent content = Safetensors::read(file);
        QVERIFY(torch::equal(find(content.tensors, "w"), torch::ones({2})));

        const QString unwritable = path(QStringLiteral("no/such/dir/x.safetensors"));
        EXPECT_ERROR_CONTAINING(errorOf([&] { Safetensors::write(unwritable, {{"w", torch::ones({2})}}); }),
                                unwritable + QStringLiteral(": cannot create a temporary file"));
    }

    void stateDictNamesFollowPyTorch()
    {
        const torch::nn::Sequential net = makeNet(5);
        std::vector<std::string> names;
        for (const auto &entry : stateDictOf(*net))
            names.push_back(entry.first);
        const std::vector<std::string> expected = {
            "0.conv.weight",   "0.conv.bias",    "0.bn.weight",
            "0.bn.bias",       "0.bn.running_mean", "0.bn.running_var",
            "0.bn.num_batches_tracked", "3.weight", "3.bias"};
        QCOMPARE(names, expected);

        // A module on the stack (no shared_ptr) and an absent bias (an undefined tensor in LibTorch).
        torch::nn::LinearImpl noBias(torch::nn::LinearOptions(3, 2).bias(false));
        const NamedTensors own = stateDictOf(noBias);
        QCOMPARE(own.size(), std::size_t(1));
        QCOMPARE(own[0].first, std::string("weight"));
    }

    void loadedModuleGivesIdenticalOutputs()
    {
        torch::manual_seed(1);
        torch::nn::Sequential trained = makeNet(5);
        for (int step = 0; step < 3; ++step) // moves BatchNorm's running statistics off their defaults
            trained->forward(torch::randn({8, 3, 8, 8}));
        trained->eval();
        const QString file = path(QStringLiteral("model.safetensors"));
        Safetensors::write(file, stateDictOf(*trained), {{"format", "pt"}});

        torch::manual_seed(2);
        torch::nn::Sequential fresh = makeNet(5);
        fresh->eval();
        loadStateDict(*fresh, Safetensors::read(file).tensors, file);

        const torch::Tensor x = torch::randn({2, 3, 8, 8});
        QVERIFY(torch::equal(trained->forward(x), fresh->forward(x)));
        QCOMPARE(find(stateDictOf(*fresh), "0.bn.num_batches_tracked").item<std::int64_t>(), std::int64_t(3));
        for (const torch::Tensor &p : fresh->parameters())
            QVERIFY(p.requires_grad());
    }

    void loadConvertsFloatingDtypes()
    {
        torch::manual_seed(4);
        torch::nn::Sequential source = makeNet(5);
        NamedTensors half = stateDictOf(*source);
        for (auto &entry : half)
            if (entry.second.is_floating_point())
                entry.second = entry.second.to(torch::kHalf);
        torch::nn::Sequential target = makeNet(5);
        loadStateDict(*target, half, QStringLiteral("half.safetensors"));
        const torch::Tensor w = find(stateDictOf(*target), "3.weight");
        QCOMPARE(dtypeOf(w.scalar_type()), dtypeOf(torch::kFloat));
        QVERIFY(torch::equal(w, find(half, "3.weight").to(torch::kFloat)));
    }

    void rejectsAStateDictOfAnotherModel_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<QStringList>("fragments");
        QTest::newRow("missing") << "missing"
                                 << QStringList{QStringLiteral("model.safetensors: missing tensor '0.bn.running_var'")};
        QTest::newRow("shape") << "shape"
                               << QStringList{QStringLiteral("tensor '3.weight' has shape [7, 144], "
                                                             "the module's has shape [5, 144]")};
        QTest::newRow("unexpected") << "unexpected"
                                    << QStringList{QStringLiteral("unexpected tensor 'extra.scale'")};
        QTest::newRow("float into the step counter")
            << "float counter" << QStringList{QStringLiteral("tensor '0.bn.num_batches_tracked' has dtype F32")};
        QTest::newRow("integers into weights")
            << "int weight" << QStringList{QStringLiteral("tensor '0.conv.weight' has dtype I64")};
        QTest::newRow("given twice") << "twice" << QStringList{QStringLiteral("tensor '3.bias' is given twice")};
        QTest::newRow("several at once")
            << "missing+unexpected"
            << QStringList{QStringLiteral("missing tensor '0.bn.running_var'"),
                           QStringLiteral("unexpected tensor 'extra.scale'")};
    }

    void rejectsAStateDictOfAnotherModel()
    {
        QFETCH(QString, change);
        QFETCH(QStringList, fragments);
        torch::manual_seed(5);
        NamedTensors tensors = stateDictOf(*makeNet(5));
        const auto drop = [&tensors](const std::string &name) {
            tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [&](const auto &e) { return e.first == name; }),
                          tensors.end());
        };
        const auto replace = [&tensors](const std::string &name, const torch::Tensor &value) {
            for (auto &entry : tensors)
                if (entry.first == name)
                    entry.second = value;
        };
        if (change.contains(QLatin1String("missing")))
            drop("0.bn.running_var");
        if (change.contains(QLatin1String("unexpected")))
            tensors.emplace_back("extra.scale", torch::ones({1}));
        if (change == QLatin1String("shape"))
            replace("3.weight", torch::zeros({7, 144}));
        if (change == QLatin1String("float counter"))
            replace("0.bn.num_batches_tracked", torch::tensor(3.0f));
        if (change == QLatin1String("int weight"))
            replace("0.conv.weight", torch::zeros({4, 3, 3, 3}, torch::kLong));
        if (change == QLatin1String("twice"))
            tensors.emplace_back("3.bias", torch::zeros({5}));

        torch::nn::Sequential target = makeNet(5);
        const torch::Tensor before = find(stateDictOf(*target), "0.conv.weight").clone();
        const QString message =
            errorOf([&] { loadStateDict(*target, tensors, QStringLiteral("model.safetensors")); });
        for (const QString &fragment : fragments)
            EXPECT_ERROR_CONTAINING(message, fragment);
        QVERIFY2(message.startsWith(QLatin1String("model.safetensors: ")), qPrintable(message));
        // Nothing is copied unless everything fits.
        QVERIFY(torch::equal(find(stateDictOf(*target), "0.conv.weight"), before));
    }

    void allowUnexpectedAcceptsExtraTensors()
    {
        NamedTensors tensors = stateDictOf(*makeNet(5));
        tensors.emplace_back("optimizer.step", torch::tensor(10));
        torch::nn::Sequential target = makeNet(5);
        LoadOptions options;
        options.allowUnexpected = true;
        loadStateDict(*target, tensors, QStringLiteral("x"), options);
        QVERIFY(torch::equal(find(stateDictOf(*target), "3.weight"), find(tensors, "3.weight")));
    }

    void ignorePrefixesSkipAHeadOfAnotherSize()
    {
        torch::manual_seed(6);
        const NamedTensors tenClasses = stateDictOf(*makeNet(10));
        torch::nn::Sequential target = makeNet(5);
        const torch::Tensor headBefore = find(stateDictOf(*target), "3.weight").clone();

        EXPECT_ERROR_CONTAINING(errorOf([&] { loadStateDict(*target, tenClasses, QStringLiteral("x")); }),
                                QStringLiteral("tensor '3.weight' has shape [10, 144]"));

        LoadOptions options;
        options.ignorePrefixes = {QStringLiteral("3.")};
        loadStateDict(*target, tenClasses, QStringLiteral("x"), options);
        QVERIFY(torch::equal(find(stateDictOf(*target), "0.conv.weight"), find(tenClasses, "0.conv.weight")));
        QVERIFY(torch::equal(find(stateDictOf(*target), "3.weight"), headBefore));

        // A file without the head at all is fine too: the module's entries under the prefix are not required.
        NamedTensors headless;
        for (const auto &entry : tenClasses)
            if (entry.first.rfind("3.", 0) != 0)
                headless.push_back(entry);
        loadStateDict(*target, headless, QStringLiteral("x"), options);
    }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
