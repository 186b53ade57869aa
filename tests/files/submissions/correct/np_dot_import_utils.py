import numpy as np
import utils


class Layer:
    def __init__(self, n_inputs, n_neurons, activation_function):
        self.weights = np.random.uniform(-1, 1, (n_neurons, n_inputs))
        self.biases = np.zeros((n_neurons, 1))
        self.activation = activation_function
        self.inputs = None
        self.outputs = None

    def forward(self, inputs):
        self.inputs = np.array(inputs, dtype=float).reshape(-1, 1)
        self.outputs = self.weights @ self.inputs + self.biases
        return self.activation(self.outputs)

    def backward(self, grad, lr):
        # chain rule through the activation
        dz = grad * self.activation.derivative(self.outputs)

        dW = np.dot(dz, self.inputs.T)
        db = dz
        # gradient for the layer before, with the old weights!
        grad_prev = np.dot(self.weights.T, dz)

        self.weights -= lr * dW
        self.biases -= lr * db
        return grad_prev


class Perceptron:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, inputs):
        for layer in self.layers:
            inputs = layer.forward(inputs)
        return inputs

    def fit(self, training_data, labels, epochs, lr):
        n = len(training_data)
        for epoch in range(epochs):
            epoch_loss = 0.0
            for i in range(n):
                x = training_data[i]
                y = labels[i]
                y_hat = self.forward(x)

                loss = -(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))
                epoch_loss += float(np.squeeze(loss))

                # dL/dy_hat written out term by term
                grad = -(y / y_hat) + (1 - y) / (1 - y_hat)
                for layer in self.layers[::-1]:
                    grad = layer.backward(grad, lr)

            average_loss = epoch_loss / n
            print(f"Loss at epoch {epoch + 1}: {average_loss:.3f}")


net = Perceptron([Layer(2, 6, utils.relu), Layer(6, 6, utils.relu), Layer(6, 1, utils.sigmoid)])
net.fit(utils.X_train, utils.y_train, 3, 0.01)
